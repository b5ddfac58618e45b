from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.deploy.conftest import ROOT

UNIT = ROOT / "deploy" / "systemd" / "epam-edge.service"
DROPIN = ROOT / "deploy" / "systemd" / "jetson.conf"


def _parse(path: Path) -> dict[str, dict[str, list[str]]]:
    """systemd unit sections -> key -> values (keys may repeat)."""
    out: dict[str, dict[str, list[str]]] = {}
    section = ""
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            out.setdefault(section, {})
            continue
        key, _, value = line.partition("=")
        out[section].setdefault(key, []).append(value)
    return out


def test_unit_restarts_watchdog_and_hardening() -> None:
    svc = _parse(UNIT)["Service"]
    assert svc["Type"] == ["notify"] and svc["Restart"] == ["on-failure"]
    assert svc["WatchdogSec"] == ["60s"]
    assert svc["User"] == ["epam-edge"] and svc["SupplementaryGroups"] == ["video"]
    for key, value in {"NoNewPrivileges": "yes", "ProtectSystem": "strict",
                       "PrivateTmp": "yes", "ProtectHome": "yes", "DevicePolicy": "closed",
                       "ReadWritePaths": "/var/lib/epam-edge", "CapabilityBoundingSet": ""
                       }.items():
        assert svc[key] == [value], key
    allowed = " ".join(svc["DeviceAllow"])
    assert "char-video4linux" in allowed and "nvidia" in allowed
    assert "--headless" in svc["ExecStart"][0] and "/etc/epam-edge/config.yaml" in \
        svc["ExecStart"][0]
    assert "MemoryDenyWriteExecute" not in svc  # CUDA / oneDNN JIT need W+X pages
    configparser.ConfigParser(strict=False).read_string(UNIT.read_text())


def test_jetson_dropin_binds_argus_socket() -> None:
    svc = _parse(DROPIN)["Service"]
    assert svc["BindPaths"] == ["-/tmp/argus_socket"]
    assert svc["DeviceAllow"] == [""]  # resets the list: Jetson iGPU node names vary


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_systemd_analyze_verify(tmp_path: Path) -> None:
    """The unit and its Jetson drop-in pass `systemd-analyze verify` with no warning."""
    unit = tmp_path / "epam-edge.service"
    # verify checks that ExecStart exists: point it at this Python
    unit.write_text(UNIT.read_text().replace("/opt/epam-edge/venv/bin/python", sys.executable))
    dropins = tmp_path / "epam-edge.service.d"
    dropins.mkdir()
    shutil.copy(DROPIN, dropins / "jetson.conf")
    proc = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True,
                          text=True, timeout=60,
                          env={"SYSTEMD_UNIT_PATH": f"{tmp_path}:", "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip() == "", proc.stderr
