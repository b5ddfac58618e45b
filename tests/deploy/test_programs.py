from __future__ import annotations

from pathlib import Path

import pytest

from deploy.programs import ProgramError, app_data_dir, checked_output


def test_the_app_s_data_dir_comes_from_the_app(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EPAM_DATA_DIR", str(tmp_path / "env"))
    assert app_data_dir(None) == tmp_path / "env"
    cfg = tmp_path / "-odd name.yaml"  # a path that looks like an option is still a path
    cfg.write_text("data_dir: ~/epam-here\n")
    assert app_data_dir(cfg) == Path.home() / "epam-here"


def test_a_program_s_error_line_is_the_message(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("data_dri: /x\n")
    with pytest.raises(ProgramError, match=r"^invalid configuration \(.*c.yaml\):\n  unknown "
                                           r"key 'data_dri'. Did you mean 'data_dir'\?"):
        app_data_dir(cfg)
    with pytest.raises(ProgramError, match=r"^config file .*none.yaml does not exist"):
        app_data_dir(tmp_path / "none.yaml")


def test_a_program_without_an_error_line_shows_its_exit_and_last_lines() -> None:
    with pytest.raises(ProgramError, match=r"python -m deploy.nothing_here failed \(exit 1\): "
                                           r".*No module named deploy.nothing_here"):
        checked_output("deploy.nothing_here", [])
