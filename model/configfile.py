"""What the edge app's and the trainer's YAML configs share: reading the file, dotted
``--set KEY=VALUE`` overrides, and errors that name the bad key and the valid ones.

Each config is a tree of pydantic models (``Section``: ``extra="forbid"``, so a mistyped
key is an error); the functions here take the tree's root model. Imports pydantic, yaml
and the standard library only (never torch): ``edge_app`` and ``train`` both use it.
"""

from __future__ import annotations

import difflib
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

__all__ = [
    "ConfigError",
    "Section",
    "apply_set",
    "deep_merge",
    "format_errors",
    "read_yaml",
    "section_keys",
    "valid_keys",
]


class ConfigError(ValueError):
    """A configuration problem, worded for the person who wrote the file."""


class Section(BaseModel):
    """Base of every config section: unknown keys are errors; assignments are checked."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


def _sub_model(annotation: Any) -> type[BaseModel] | None:
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) \
        else None


def _item_model(annotation: Any) -> type[BaseModel] | None:
    """The model of a ``dict[str, Model]`` or ``list[Model]`` field's items, else None."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is dict and len(args) == 2:
        return _sub_model(args[1])
    if origin is list and len(args) == 1:
        return _sub_model(args[0])
    return None


def valid_keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Every dotted key (sections and leaves) of ``model``'s tree."""
    keys: list[str] = []
    for name, field in model.model_fields.items():
        keys.append(prefix + name)
        sub = _sub_model(field.annotation)
        if sub is not None:
            keys.extend(valid_keys(sub, f"{prefix}{name}."))
    return keys


def section_keys(root: type[BaseModel], path: Iterable[str | int]) -> tuple[str, list[str]]:
    """The deepest section along ``path`` (dotted, "" for the top level) and its keys.

    A section may also be the items of a ``dict[str, Model]`` or ``list[Model]`` field:
    the item's name or index in ``path`` is passed over."""
    model = root
    names: list[str] = []
    items = False  # the previous part was a dict or list of sections: skip its item key
    for p in path:
        if isinstance(p, int) or items:
            items = False
            continue
        field = model.model_fields.get(p)
        if field is None:
            break
        sub = _sub_model(field.annotation)
        item = _item_model(field.annotation) if sub is None else None
        nxt = sub or item
        if nxt is None:
            break
        model = nxt
        items = item is not None
        names.append(p)
    return ".".join(names), list(model.model_fields)


def _unknown_key_hint(where: str) -> str:
    return f"under '{where}'" if where else "at the top level"


def format_errors(exc: ValidationError, origin: str, root: type[BaseModel],
                  what: str = "configuration") -> str:
    """``exc`` as lines for a person: an unknown key with the valid ones (and the closest),
    else the key, pydantic's message and the value given (never a password's)."""
    lines = [f"invalid {what} ({origin}):"]
    for err in exc.errors():
        loc = list(err["loc"])
        dotted = ".".join(str(p) for p in loc)
        if err["type"] == "extra_forbidden":
            section, names = section_keys(root, loc[:-1])
            close = difflib.get_close_matches(str(loc[-1]), names, n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            lines.append(f"  unknown key '{dotted}'.{hint} Valid keys "
                         f"{_unknown_key_hint(section)}: {', '.join(names)}")
        else:
            msg = err["msg"].removeprefix("Value error, ")
            got = err.get("input")
            shown = ""
            if not isinstance(got, dict) and "password" not in dotted:
                shown = f" (got {got!r})"
            lines.append(f"  {dotted or '(config)'}: {msg}{shown}")
    return "\n".join(lines)


def read_yaml(path: Path, *, shipped: Path | None = None,
              empty_ok: bool = False) -> dict[str, Any]:
    """The mapping in the YAML file ``path``; ``ConfigError`` when it is missing, not
    YAML or not a mapping. ``shipped``: a folder of shipped configs, listed when ``path``
    does not exist. ``empty_ok``: an empty file is ``{}`` (else an error)."""
    if not path.is_file():
        listed = ""
        if shipped is not None:
            names = sorted(p.name for p in shipped.glob("*.yaml"))
            listed = f" (shipped configs in {shipped}: {', '.join(names)})"
        raise ConfigError(f"config file {path} does not exist{listed}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {path} is not valid YAML: {exc}") from exc
    if data is None and empty_ok:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must be a mapping of keys, not "
                          f"{type(data).__name__}")
    return data


def apply_set(data: dict[str, Any], item: str, root: type[BaseModel], *, example: str,
              empty: Any = None, open_sections: Iterable[str] = ()) -> None:
    """Apply one ``--set KEY=VALUE`` to the raw mapping ``data`` (in place).

    VALUE is read as YAML (text that is not YAML stays text; nothing after ``=`` gives
    ``empty``). KEY must be one of ``valid_keys(root)`` or lie under one of
    ``open_sections`` (dotted sections whose keys are names, e.g. ``events.rules``);
    ``example`` is shown when ``item`` has no ``=``."""
    if "=" not in item:
        raise ConfigError(f"--set {item!r}: expected KEY=VALUE, e.g. {example}")
    key, raw = (s.strip() for s in item.split("=", 1))
    parts = key.split(".")
    known = valid_keys(root)
    if key not in known and not any(key.startswith(f"{s}.") for s in open_sections):
        section, names = section_keys(root, parts[:-1])
        close = difflib.get_close_matches(key, known, n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise ConfigError(f"--set {key}: unknown key.{hint} Valid keys "
                          f"{_unknown_key_hint(section)}: {', '.join(names)}")
    try:
        value = yaml.safe_load(raw) if raw else empty
    except yaml.YAMLError:
        value = raw
    node = data
    for p in parts[:-1]:
        child = node.get(p)
        if not isinstance(child, dict):
            child = {}
            node[p] = child
        node = child
    node[parts[-1]] = value


def deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``over``'s keys on top; mappings in both are merged, key by key."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out
