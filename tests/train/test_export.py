"""A trained checkpoint goes through ``python -m deploy.export --check`` as it is."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import onnx

from tests.conftest import ROOT


def test_export_cli_check_on_a_training_checkpoint(pose_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "m.onnx"
    done = subprocess.run([sys.executable, "-m", "deploy.export", "--checkpoint", str(pose_run),
                           "--out", str(out), "--check"], cwd=ROOT, capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "check passed" in done.stdout
    props = {p.key: p.value for p in onnx.load(str(out)).metadata_props}
    assert '"trained_streams": ["pose"]' in props["provenance"]
    assert props["sampling"] == "uniform"
