from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.deploy.conftest import ROOT

SCRIPT = ROOT / "deploy" / "install.sh"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True,
                          timeout=60, check=False)


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck not installed")
def test_shellcheck_clean() -> None:
    proc = subprocess.run(["shellcheck", str(SCRIPT)], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stdout


def test_dry_run_prints_the_plan_and_changes_nothing() -> None:
    proc = _run("--dry-run", "--no-jetson", "--extras", "openvino")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "+ useradd --system --user-group" in out or "getent" not in out
    assert "usermod -a -G video epam-edge" in out or "useradd" not in out
    assert "-m venv /opt/epam-edge/venv" in out
    assert "--editable /opt/epam-edge/app\\[openvino\\]" in out
    assert "/etc/epam-edge/config.yaml" in out
    assert "+ systemctl enable epam-edge.service" in out
    assert "jetson.conf" in out  # removed when not a Jetson


def test_jetson_dry_run_uses_system_opencv_and_gpu_runtime() -> None:
    out = _run("--dry-run", "--jetson").stdout
    assert "--system-site-packages" in out
    assert "uninstall --yes onnxruntime" in out and "onnxruntime-gpu" in out
    assert "uninstall --yes opencv-contrib-python" in out
    assert "epam-edge.service.d/jetson.conf" in out


def test_staged_install_is_idempotent_and_uninstall_keeps_data(tmp_path: Path) -> None:
    root = tmp_path / "stage"
    proc = _run("--prefix", str(root), "--skip-venv", "--jetson")
    assert proc.returncode == 0, proc.stderr
    conf = root / "etc/epam-edge/config.yaml"
    unit = root / "etc/systemd/system/epam-edge.service"
    assert (root / "opt/epam-edge/app/edge_app/cli.py").is_file()
    assert (root / "opt/epam-edge/app/assets/models/epamnet_adl.onnx").is_file()
    assert conf.is_file() and unit.is_file()
    assert (root / "etc/systemd/system/epam-edge.service.d/jetson.conf").is_file()
    assert (root / "var/lib/epam-edge/models").is_dir()
    assert (conf.stat().st_mode & 0o777) == 0o640
    conf.write_text(conf.read_text() + "# edited by the installer\n")
    (root / "var/lib/epam-edge/events.db").write_text("data")
    again = _run("--prefix", str(root), "--skip-venv", "--no-jetson")
    assert again.returncode == 0, again.stderr
    assert "kept the existing" in again.stdout
    assert conf.read_text().endswith("# edited by the installer\n")
    assert not (root / "etc/systemd/system/epam-edge.service.d/jetson.conf").exists()
    gone = _run("--prefix", str(root), "--uninstall")
    assert gone.returncode == 0, gone.stderr
    assert not (root / "opt/epam-edge").exists() and not unit.exists()
    assert conf.is_file() and (root / "var/lib/epam-edge/events.db").is_file()
    purge = _run("--prefix", str(root), "--uninstall", "--purge")
    assert purge.returncode == 0 and not conf.exists()
    assert not (root / "var/lib/epam-edge").exists()


def test_unknown_option_fails() -> None:
    proc = _run("--bogus")
    assert proc.returncode == 2 and "unknown option" in proc.stderr
