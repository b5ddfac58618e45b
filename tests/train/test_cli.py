from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from train.cli import build_parser, main


def test_help_documents_every_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    for sub in ("fit", "eval", "extract", "convert", "synthetic", "configs", "inspect"):
        assert sub in text
    with pytest.raises(SystemExit):
        main(["fit", "--help"])
    fit = capsys.readouterr().out
    for word in ("--resume", "--phase", "--set", "torchrun", "last.pt", "batch 96",
                 "deploy.export", "128+N"):
        assert word in fit, word
    parser = build_parser()
    for sub in ("eval", "extract", "convert", "synthetic", "inspect"):
        with pytest.raises(SystemExit):
            parser.parse_args([sub, "--help"])
        assert capsys.readouterr().out


def test_module_entry_points() -> None:
    for module in ("train", "train.evaluate", "train.extract"):
        done = subprocess.run([sys.executable, "-m", module, "--help"], cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0 and "usage" in done.stdout, done.stderr


def test_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("name: x\ndata: {ann_file: nowhere.pkl}\n")
    assert main(["fit", "--config", str(cfg)]) == 1
    assert "nowhere.pkl does not exist" in capsys.readouterr().err
    (tmp_path / "bad.pt").write_text("garbage")
    assert main(["inspect", str(tmp_path / "bad.pt")]) == 1
    assert "cannot be read" in capsys.readouterr().err


def test_synthetic_configs_and_inspect(tmp_path: Path, pose_run: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["synthetic", "--out", str(tmp_path / "s.pkl"), "--classes", "2",
                 "--clips-per-class", "2"]) == 0
    assert (tmp_path / "s.pkl").is_file()
    assert main(["configs"]) == 0
    assert "ntu60_xsub.yaml" in capsys.readouterr().out
    assert main(["inspect", str(pose_run)]) == 0
    out = capsys.readouterr().out
    assert '"trained_streams"' in out and '"global_step": 1' in out


def test_convert_cli(shared_data: Path, tmp_path: Path) -> None:
    root = shared_data / "skeletons" / "urfd_falls_dev"
    if not root.exists():
        pytest.skip(f"{root} not found")
    assert main(["convert", "urfd", "--root", str(root), "--out", str(tmp_path / "u.pkl")]) == 0
