"""Every bad input an installer can give: one clear line (what is wrong and how to fix
it), a non-zero exit where the app cannot run, never a traceback.

One table; the cases run as ``python -m edge_app run --headless ...`` subprocesses, all
at once (module fixture), and each row checks its own result.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from tests.faults.helpers import (
    ROOT,
    alternating_keypoints,
    run_app,
    write_replay,
    write_tiny_model,
)


@dataclass(frozen=True)
class Case:
    """``make(dir, model)`` writes what the case needs and returns the app's arguments;
    ``says``: what the one error line must contain (regular expressions: what is wrong,
    and the hint that fixes it); ``code``: the exit code (0: the input is fine after all
    and the app runs)."""

    make: Callable[[Path, Path], list[str]]
    says: tuple[str, ...]
    code: int = 2
    not_says: tuple[str, ...] = ()
    bug: str = ""  # a known bug: the row is an expected failure until it is fixed


def _missing_video(d: Path, model: Path) -> list[str]:
    return ["--source", str(d / "nope.mp4"), "--model", str(model)]


def _corrupt_video(d: Path, model: Path) -> list[str]:
    bad = d / "corrupt.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40)
    return ["--source", str(bad), "--model", str(model)]


def _truncated_model(d: Path, model: Path) -> list[str]:
    bad = d / "truncated.onnx"
    bad.write_bytes((ROOT / "assets" / "models" / "epamnet_adl.onnx").read_bytes()[:100_000])
    return ["--model", str(bad)]


def _missing_model(d: Path, model: Path) -> list[str]:
    return ["--model", str(d / "nope.onnx")]


def _class_mismatch(d: Path, model: Path) -> list[str]:
    return ["--model", str(write_tiny_model(d / "five_outputs.onnx", outputs=5))]


def _wrong_key(d: Path, model: Path) -> list[str]:
    return ["--model", str(model), "--set", "window.strid=3"]


def _bad_value(d: Path, model: Path) -> list[str]:
    return ["--model", str(model), "--set", "mqtt.port=99999"]


def _missing_config(d: Path, model: Path) -> list[str]:
    return ["--model", str(model), "--config", str(d / "nope.yaml")]


def _broken_yaml(d: Path, model: Path) -> list[str]:
    cfg = d / "broken.yaml"
    cfg.write_text("window:\n  stride: 8\n   sample_rate_hz: [15\n")
    return ["--model", str(model), "--config", str(cfg)]


def _data_dir_is_a_file(d: Path, model: Path) -> list[str]:
    blocker = d / "a_file"
    blocker.write_text("not a folder")
    return ["--model", str(model), "--set", f"data_dir={blocker}"]


def _data_dir_below_a_file(d: Path, model: Path) -> list[str]:
    blocker = d / "a_file"
    blocker.write_text("not a folder")
    return ["--model", str(model), "--set", f"data_dir={blocker / 'below'}"]


def _missing_camera(d: Path, model: Path) -> list[str]:
    return ["--source", "7", "--model", str(model)]


def _replay(d: Path, model: Path, kp: np.ndarray, sc: np.ndarray | None) -> list[str]:
    return ["--source", str(write_replay(d / "clip.pkl", kp, sc)), "--model", str(model),
            "--fast"]


def _keypoints_with_scores_last(d: Path, model: Path) -> list[str]:
    kp, sc = alternating_keypoints(6)
    return _replay(d, model, np.concatenate([kp, sc[..., None]], axis=-1), None)


def _mediapipe_33_keypoints(d: Path, model: Path) -> list[str]:
    rng = np.random.default_rng(0)
    return _replay(d, model, rng.uniform(0, 400, (1, 90, 33, 2)).astype(np.float32), None)


def _not_a_pickle(d: Path, model: Path) -> list[str]:
    bad = d / "clip.pkl"
    bad.write_text("frame,x,y\n1,2,3\n")
    return ["--source", str(bad), "--model", str(model)]


def _empty_source(d: Path, model: Path) -> list[str]:
    return ["--source", " ", "--model", str(model)]


CASES: dict[str, Case] = {
    "missing video file": Case(_missing_video, (r"video file .*nope\.mp4 does not exist",)),
    "corrupt video file": Case(_corrupt_video, (r"corrupt\.mp4", r"corrupt|codec")),
    "truncated model": Case(_truncated_model, (r"truncated\.onnx", r"truncated",
                                               r"[Cc]opy or export it again")),
    "missing model": Case(_missing_model, (r"nope\.onnx does not exist", r"--model")),
    "class count mismatch": Case(_class_mismatch, (r"gives 5 scores", r"names 8 classes",
                                                   r"export it again")),
    "wrong config key": Case(_wrong_key, (r"window\.strid\b", r"window\.stride",)),
    "value out of range": Case(
        _bad_value, (r"mqtt\.port", r"65535", r"--set"), not_says=(r"default\.yaml",)),
    "missing config file": Case(_missing_config, (r"nope\.yaml",)),
    "broken YAML": Case(_broken_yaml, (r"broken\.yaml", r"line \d+")),
    "data_dir is a file": Case(_data_dir_is_a_file, (r"data directory .*a_file",
                                                    r"cannot be used", r"EPAM_DATA_DIR")),
    "data_dir below a file": Case(_data_dir_below_a_file, (r"data directory .*below",
                                                          r"cannot be used")),
    "missing camera": Case(_missing_camera, (r"camera 7", r"connected|/dev/video7")),
    "keypoints (M,T,17,3)": Case(_keypoints_with_scores_last, (), code=0),
    "keypoints, 33 joints": Case(_mediapipe_33_keypoints, (r"COCO-17", r"33",
                                                           r"[Cc]onvert")),
    "keypoint file not a pickle": Case(_not_a_pickle, (r"clip\.pkl", r"PYSKL")),
    "empty source": Case(_empty_source, (r"empty source", r"camera index")),
}

# an error line and its indented continuation lines (a config error's list of keys)
_ERROR = re.compile(r"^(?:ERROR|CRITICAL|error:).*(?:\n[ \t]+\S.*)*", re.MULTILINE)


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory, tiny_model: Path
            ) -> dict[str, subprocess.CompletedProcess[str]]:
    """Every case's run, all started at once (they are independent processes)."""
    def run(name: str) -> subprocess.CompletedProcess[str]:
        d = tmp_path_factory.mktemp(re.sub(r"\W+", "_", name))
        args = CASES[name].make(d, tiny_model)
        return run_app(["run", "--headless", "--set", "model.backend=onnxruntime", *args],
                       d / "data", timeout=180)

    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip(CASES, pool.map(run, CASES)))


@pytest.mark.parametrize("name", [
    pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=c.bug)) if c.bug else n
    for n, c in CASES.items()])
def test_bad_input_is_one_clear_line(
        results: dict[str, subprocess.CompletedProcess[str]], name: str) -> None:
    case = CASES[name]
    r = results[name]
    out = r.stdout + r.stderr
    assert "Traceback" not in out, out[-3000:]
    errors = [m.group(0) for m in _ERROR.finditer(out)]
    assert r.returncode == case.code, out[-3000:]
    if case.code == 0:
        assert not errors, errors
        return
    assert len(errors) == 1, f"expected one error, got {errors}"
    message = errors[0]
    for pattern in case.says:
        assert re.search(pattern, message), f"{pattern!r} not in: {message}"
    for pattern in case.not_says:
        assert not re.search(pattern, message), f"{pattern!r} in: {message}"
    assert message.count("\n") <= 4 and len(message) < 800  # read by a person, not a dump
