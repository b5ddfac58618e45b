from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import Field, ValidationError

from model.configfile import (
    ConfigError,
    Section,
    apply_set,
    deep_merge,
    format_errors,
    read_yaml,
    section_keys,
    valid_keys,
)


class Rule(Section):
    level: str = "info"


class Net(Section):
    host: str = "localhost"
    port: int = 1883
    password: str = ""


class Root(Section):
    name: str = "x"
    net: Net = Field(default_factory=Net)
    rules: dict[str, Rule] = Field(default_factory=dict)
    items: list[Rule] = Field(default_factory=list)


def test_valid_keys_lists_sections_and_leaves() -> None:
    assert valid_keys(Root) == ["name", "net", "net.host", "net.port", "net.password",
                                "rules", "items"]


def test_section_keys_follows_sections_and_items_of_dicts_and_lists() -> None:
    assert section_keys(Root, []) == ("", ["name", "net", "rules", "items"])
    assert section_keys(Root, ["net"]) == ("net", ["host", "port", "password"])
    assert section_keys(Root, ["rules", "fall"]) == ("rules", ["level"])
    assert section_keys(Root, ["items", 0]) == ("items", ["level"])
    assert section_keys(Root, ["nowhere", "x"])[0] == ""


def test_set_parses_values_as_yaml_into_nested_keys() -> None:
    data: dict[str, Any] = {"net": {"host": "a"}}
    apply_set(data, "net.port = 8883", Root, example="net.port=1")
    apply_set(data, "name=[1, 2]", Root, example="net.port=1")
    apply_set(data, "net.password=", Root, example="net.port=1", empty="")
    apply_set(data, "rules.walking.level=warning", Root, example="net.port=1",
              open_sections=("rules",))
    apply_set(data, "net.host={unclosed", Root, example="net.port=1")
    assert data == {"net": {"host": "{unclosed", "port": 8883, "password": ""},
                    "name": [1, 2], "rules": {"walking": {"level": "warning"}}}
    apply_set(data, "name=", Root, example="net.port=1")
    assert data["name"] is None


def test_set_without_equals_shows_the_example() -> None:
    with pytest.raises(ConfigError, match=r"--set 'net.port': expected KEY=VALUE, e.g. a=1"):
        apply_set({}, "net.port", Root, example="a=1")


def test_set_of_an_unknown_key_names_the_valid_ones() -> None:
    with pytest.raises(ConfigError) as err:
        apply_set({}, "net.prot=1", Root, example="a=1")
    assert str(err.value) == ("--set net.prot: unknown key. Did you mean net.port, net.host, "
                              "net.password? Valid keys under 'net': host, port, password")
    with pytest.raises(ConfigError, match="Valid keys at the top level: name, net, rules"):
        apply_set({}, "bogus=1", Root, example="a=1")
    with pytest.raises(ConfigError, match="unknown key"):  # not an open section here
        apply_set({}, "rules.walking.level=x", Root, example="a=1")


def _errors(data: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as err:
        Root.model_validate(data)
    return format_errors(err.value, "c.yaml", Root, "test configuration")


def test_format_errors_names_unknown_keys_and_hides_passwords() -> None:
    msg = _errors({"net": {"hots": "x"}, "rules": {"fall": {"levl": "x"}}})
    assert msg.splitlines() == [
        "invalid test configuration (c.yaml):",
        "  unknown key 'net.hots'. Did you mean 'host'? Valid keys under 'net': host, port, "
        "password",
        "  unknown key 'rules.fall.levl'. Did you mean 'level'? Valid keys under 'rules': "
        "level",
    ]
    msg = _errors({"net": {"port": "abc", "password": 5}})
    assert "net.port: Input should be a valid integer" in msg and "(got 'abc')" in msg
    assert "net.password: " in msg and "(got 5)" not in msg


def test_read_yaml(tmp_path: Path) -> None:
    f = tmp_path / "c.yaml"
    f.write_text("a: {b: 1}\n")
    assert read_yaml(f) == {"a": {"b": 1}}
    f.write_text("")
    assert read_yaml(f, empty_ok=True) == {}
    with pytest.raises(ConfigError, match="must be a mapping of keys, not NoneType"):
        read_yaml(f)
    f.write_text("- a\n")
    with pytest.raises(ConfigError, match="must be a mapping of keys, not list"):
        read_yaml(f, empty_ok=True)
    f.write_text("a: [unclosed\n")
    with pytest.raises(ConfigError, match="is not valid YAML"):
        read_yaml(f)
    (tmp_path / "shipped.yaml").write_text("a: 1\n")
    with pytest.raises(ConfigError, match=r"missing.yaml does not exist \(shipped configs in "
                       r".*: c.yaml, shipped.yaml\)"):
        read_yaml(tmp_path / "missing.yaml", shipped=tmp_path)
    with pytest.raises(ConfigError, match=r"missing.yaml does not exist$"):
        read_yaml(tmp_path / "missing.yaml")


def test_deep_merge_merges_mappings_key_by_key() -> None:
    base = {"a": {"b": 1, "c": 2}, "d": 3}
    assert deep_merge(base, {"a": {"c": 5}, "e": 6}) == {"a": {"b": 1, "c": 5}, "d": 3, "e": 6}
    assert base == {"a": {"b": 1, "c": 2}, "d": 3}
    assert deep_merge(base, {"a": 1}) == {"a": 1, "d": 3}


def test_both_configs_share_the_error_type_and_importing_does_not_import_torch() -> None:
    code = ("import sys, model.configfile, edge_app.config as e; "
            "assert 'torch' not in sys.modules; "
            "assert e.ConfigError is model.configfile.ConfigError")
    subprocess.run([sys.executable, "-c", code], check=True)
