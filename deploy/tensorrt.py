"""``python -m deploy.tensorrt``: TensorRT engines for EPAM-Net, built on the device and cached.

    python -m deploy.tensorrt info                      # GPU, TensorRT, trtexec found here
    python -m deploy.tensorrt build --onnx M.onnx       # FP16 engine (default), cached
    python -m deploy.tensorrt build --onnx M.onnx --int8 --calib-cache calib.cache
    python -m deploy.tensorrt build --onnx M.onnx --dry-run   # print the trtexec command
    python -m deploy.tensorrt warm --onnx M.onnx        # pre-build ONNX Runtime's TRT cache

A TensorRT engine only runs on the GPU model and TensorRT version that built it, so it
is built on the device (``trtexec``) and cached under
``<data_dir>/engines/<model sha256[:16]>_<gpu>_trt<version>/`` with its build log and a
``build.json`` (command, versions, latency); a second ``build`` finds it there. The batch
dimension is dynamic: the profile is min 1, opt ``--opt-batch``, max ``--max-batch``.

Two ways to run it:
- through ONNX Runtime's TensorRT provider (what ``edge_app`` does with
  ``model.providers: [tensorrt, cuda, cpu]``): ONNX Runtime builds its own engine at the
  first start into ``model.trt_cache_dir`` and reuses it; ``warm`` does that first
  start ahead (at install time), for the full model and the pose-only subgraph;
- directly, with the engine file (TensorRT runtime, ``trtexec --loadEngine``, Triton,
  DeepStream).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import logging
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from deploy.programs import ProgramError, app_data_dir, checked_output
from model.files import file_sha256
from model.metadata import INPUT_NAMES, Geometry

__all__ = [
    "BuildSpec",
    "DeviceInfo",
    "TensorRTError",
    "build_engine",
    "cache_key",
    "detect_device",
    "main",
    "parse_trt_version",
    "trtexec_command",
]

log = logging.getLogger(__name__)
Precision = Literal["fp32", "fp16", "int8"]
JETSON_TRTEXEC = Path("/usr/src/tensorrt/bin/trtexec")
DEVICE_TREE_MODEL = Path("/proc/device-tree/model")


class TensorRTError(RuntimeError):
    """Something the installer can fix (no trtexec, no GPU, a failed build)."""


@dataclass(frozen=True)
class DeviceInfo:
    """What an engine is tied to: the GPU's name and the TensorRT version (``10.3.0``)."""

    gpu: str
    trt_version: str
    trtexec: str | None

    @property
    def gpu_slug(self) -> str:
        slug = re.sub(r"[^a-z0-9]+", "-", self.gpu.lower()).strip("-")
        return slug.removeprefix("nvidia-") or "unknown-gpu"


@dataclass(frozen=True)
class BuildSpec:
    """One engine: precision, dynamic batch profile, workspace (MiB), INT8 cache."""

    precision: Precision = "fp16"
    min_batch: int = 1
    opt_batch: int = 1
    max_batch: int = 4
    workspace_mb: int = 2048
    calib_cache: Path | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.min_batch <= self.opt_batch <= self.max_batch:
            raise TensorRTError(f"batch profile must satisfy 1 <= min <= opt <= max, got "
                                f"{self.min_batch}/{self.opt_batch}/{self.max_batch}")
        if self.precision == "int8" and self.calib_cache is None:
            raise TensorRTError("--int8 needs --calib-cache (a TensorRT INT8 calibration cache)")
        if self.workspace_mb < 64:
            raise TensorRTError("--workspace is in MiB and must be at least 64")

    @property
    def engine_name(self) -> str:
        batch = f"b{self.min_batch}-{self.opt_batch}-{self.max_batch}"
        return f"epamnet_{self.precision}_{batch}.engine"


def parse_trt_version(text: str) -> str | None:
    """TensorRT version from a trtexec banner (``[TensorRT v100300]`` -> ``10.3.0``,
    ``v8601`` -> ``8.6.1``) or a plain dotted version (``10.3.0.30`` -> ``10.3.0``)."""
    m = re.search(r"TensorRT v(\d+)", text)
    if m:
        n = int(m.group(1))
        if n >= 100000:  # TensorRT 10+: MMmmpp
            return f"{n // 10000}.{n // 100 % 100}.{n % 100}"
        return f"{n // 1000}.{n // 100 % 10}.{n % 100}"  # TensorRT 8: Mmpp
    m = re.search(r"\b(\d+)\.(\d+)\.(\d+)", text)
    return ".".join(m.groups()) if m else None


def _run(cmd: Sequence[str], timeout: float = 30.0) -> str:
    try:
        out = subprocess.run(list(cmd), capture_output=True, text=True, timeout=timeout,
                             check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout + out.stderr


def find_trtexec(env: Mapping[str, str] | None = None) -> str | None:
    """``$TRTEXEC``, ``trtexec`` on PATH, or JetPack's ``/usr/src/tensorrt/bin/trtexec``."""
    env = os.environ if env is None else env
    if env.get("TRTEXEC"):
        return env["TRTEXEC"]
    found = shutil.which("trtexec", path=env.get("PATH"))
    if found:
        return found
    return str(JETSON_TRTEXEC) if JETSON_TRTEXEC.is_file() else None


def _gpu_name(env: Mapping[str, str]) -> str:
    smi = shutil.which("nvidia-smi", path=env.get("PATH"))
    if smi:
        names = [s.strip() for s in _run([smi, "--query-gpu=name", "--format=csv,noheader"])
                 .splitlines() if s.strip() and "fail" not in s.lower()]
        if names:
            return names[0]
    if DEVICE_TREE_MODEL.is_file():  # Jetson: nvidia-smi is absent (JetPack 5) or terse
        return DEVICE_TREE_MODEL.read_text(errors="replace").strip("\x00 \n")
    return "unknown GPU"


def _trt_version(trtexec: str | None) -> str:
    try:
        import tensorrt

        found = parse_trt_version(str(tensorrt.__version__))
        if found:
            return found
    except ImportError:
        pass
    if trtexec:
        found = parse_trt_version(_run([trtexec, "--help"]))
        if found:
            return found
    for pkg in ("libnvinfer10", "libnvinfer8", "tensorrt"):
        found = parse_trt_version(_run(["dpkg-query", "-W", "-f=${Version}", pkg]))
        if found:
            return found
    return "unknown"


def detect_device(env: Mapping[str, str] | None = None) -> DeviceInfo:
    """GPU name, TensorRT version and trtexec path of this machine."""
    env = os.environ if env is None else env
    trtexec = find_trtexec(env)
    return DeviceInfo(gpu=_gpu_name(env), trt_version=_trt_version(trtexec), trtexec=trtexec)


def cache_key(model_digest: str, device: DeviceInfo) -> str:
    """``<sha256[:16]>_<gpu>_trt<version>``: a new model, GPU or TensorRT builds anew."""
    return f"{model_digest[:16]}_{device.gpu_slug}_trt{device.trt_version}"


def _shapes(batch: int, geo: Geometry) -> str:
    dims = {INPUT_NAMES[0]: geo.pose_shape, INPUT_NAMES[1]: geo.rgb_shape}
    return ",".join(f"{name}:{'x'.join(map(str, (batch, *shape)))}"
                    for name, shape in dims.items())


def trtexec_command(
    trtexec: str,
    onnx_path: Path,
    engine: Path,
    spec: BuildSpec,
    *,
    trt_version: str = "10",
    geometry: Geometry | None = None,
    timing_cache: Path | None = None,
) -> list[str]:
    """The trtexec command line that builds ``engine`` from ``onnx_path``.

    TensorRT >= 8.4 takes the workspace as ``--memPoolSize=workspace:<MiB>`` (the old
    ``--workspace`` was removed in 10); INT8 also enables FP16 for layers that are not
    quantised.
    """
    geo = geometry or Geometry()
    major_minor = tuple(int(x) for x in re.findall(r"\d+", trt_version)[:2]) or (10,)
    cmd = [trtexec, f"--onnx={onnx_path}", f"--saveEngine={engine}",
           f"--minShapes={_shapes(spec.min_batch, geo)}",
           f"--optShapes={_shapes(spec.opt_batch, geo)}",
           f"--maxShapes={_shapes(spec.max_batch, geo)}"]
    if major_minor >= (8, 4):
        cmd.append(f"--memPoolSize=workspace:{spec.workspace_mb}")
    else:
        cmd.append(f"--workspace={spec.workspace_mb}")
    if spec.precision == "fp16":
        cmd.append("--fp16")
    elif spec.precision == "int8":
        cmd += ["--int8", "--fp16", f"--calib={spec.calib_cache}"]
    if timing_cache is not None:
        cmd.append(f"--timingCacheFile={timing_cache}")
    return cmd


_LATENCY = re.compile(r"GPU Compute Time: .*?median = ([\d.]+) ms")


@dataclass(frozen=True)
class BuildResult:
    engine: Path
    cached: bool
    command: list[str]
    gpu_median_ms: float | None


def build_engine(
    onnx_path: Path,
    cache_root: Path,
    spec: BuildSpec,
    *,
    device: DeviceInfo | None = None,
    force: bool = False,
    dry_run: bool = False,
    timeout_s: float = 3600.0,
) -> BuildResult:
    """Build (or find in the cache) the engine of ``onnx_path`` for this GPU and TensorRT."""
    if not onnx_path.is_file():
        raise TensorRTError(f"{onnx_path} does not exist")
    device = device or detect_device()
    if device.trtexec is None and not dry_run:
        raise TensorRTError("trtexec not found: on Jetson it is /usr/src/tensorrt/bin/trtexec "
                            "(apt install tensorrt); elsewhere install TensorRT and put trtexec "
                            "on PATH, or set $TRTEXEC")
    folder = cache_root / cache_key(file_sha256(onnx_path), device)
    engine = folder / spec.engine_name
    cmd = trtexec_command(device.trtexec or "trtexec", onnx_path, engine, spec,
                          trt_version=device.trt_version,
                          timing_cache=folder / "timing.cache")
    if engine.is_file() and not force:
        return BuildResult(engine, True, cmd, _cached_latency(folder, spec))
    if dry_run:
        return BuildResult(engine, False, cmd, None)
    folder.mkdir(parents=True, exist_ok=True)
    log.info("building %s with trtexec (minutes on a Jetson)", engine.name)
    started = dt.datetime.now(dt.timezone.utc)
    tmp = engine.with_suffix(".engine.tmp")  # renamed when complete: no half engine cached
    run_cmd = [f"--saveEngine={tmp}" if c.startswith("--saveEngine=") else c for c in cmd]
    try:
        proc = subprocess.run(run_cmd, capture_output=True, text=True, timeout=timeout_s,
                              check=False)
    except subprocess.TimeoutExpired as exc:
        raise TensorRTError(f"trtexec took more than {timeout_s:.0f} s") from exc
    logfile = engine.with_suffix(".log")
    logfile.write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0 or not tmp.is_file():
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-5:])
        raise TensorRTError(f"trtexec failed (exit {proc.returncode}); log: {logfile}\n{tail}")
    tmp.replace(engine)
    m = _LATENCY.search(proc.stdout)
    latency = float(m.group(1)) if m else None
    record = _read_builds(folder)
    record[spec.engine_name] = {
        "command": cmd, "gpu": device.gpu, "trt_version": device.trt_version,
        "onnx": str(onnx_path), "spec": {k: str(v) if isinstance(v, Path) else v
                                         for k, v in dataclasses.asdict(spec).items()},
        "built_at": started.isoformat(timespec="seconds"), "gpu_median_ms": latency}
    (folder / "build.json").write_text(json.dumps(record, indent=2))
    return BuildResult(engine, False, cmd, latency)


def _read_builds(folder: Path) -> dict[str, dict[str, object]]:
    try:
        data = json.loads((folder / "build.json").read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _cached_latency(folder: Path, spec: BuildSpec) -> float | None:
    value = _read_builds(folder).get(spec.engine_name, {}).get("gpu_median_ms")
    return float(value) if isinstance(value, int | float) else None


def warm_ort_cache(onnx_path: Path, cache_dir: Path) -> list[str]:
    """Let ONNX Runtime's TensorRT provider build its engines into ``cache_dir`` now.

    Runs one full window and one pose-only window, so the app's first start is quick:
    the app itself does (``python -m edge_app.prepare warm``), so the engines are the
    ones it looks for. Returns the providers the session used (TensorRT first).
    """
    try:
        out = checked_output("edge_app.prepare", [
            "warm", f"--cache-dir={cache_dir}", "--", str(onnx_path)], echo_log=True)
    except ProgramError as exc:
        raise TensorRTError(str(exc)) from exc
    return out.split()


def _data_dir(config: Path | None) -> Path:
    try:
        return app_data_dir(config)
    except ProgramError as exc:
        raise TensorRTError(str(exc)) from exc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m deploy.tensorrt",
        description="Build and cache TensorRT engines of EPAM-Net on this device.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("info", help="GPU, TensorRT version and trtexec found here")
    build = sub.add_parser("build", help="build (or find cached) an engine with trtexec")
    warm = sub.add_parser("warm", help="pre-build ONNX Runtime's TensorRT engine cache")
    for p in (build, warm):
        p.add_argument("--onnx", type=Path, required=True, help="FP32 EPAM-Net .onnx")
        p.add_argument("--config", type=Path, help="app config (for data_dir)")
    prec = build.add_mutually_exclusive_group()
    prec.add_argument("--fp16", dest="precision", action="store_const", const="fp16",
                      help="FP16 (default)")
    prec.add_argument("--fp32", dest="precision", action="store_const", const="fp32")
    prec.add_argument("--int8", dest="precision", action="store_const", const="int8",
                      help="INT8 (+FP16 fallback); needs --calib-cache")
    build.add_argument("--calib-cache", type=Path, help="TensorRT INT8 calibration cache")
    build.add_argument("--workspace", type=int, default=2048, help="workspace MiB (2048)")
    build.add_argument("--opt-batch", type=int, default=1, help="batch TensorRT tunes for")
    build.add_argument("--max-batch", type=int, default=4, help="largest batch")
    build.add_argument("--cache-dir", type=Path, help="engine cache (default: "
                       "<data_dir>/engines)")
    build.add_argument("--force", action="store_true", help="rebuild even when cached")
    build.add_argument("--dry-run", action="store_true", help="print the command only")
    warm.add_argument("--trt-cache-dir", type=Path, help="ONNX Runtime's engine cache "
                      "(default: <data_dir>/trt_cache, as model.trt_cache_dir)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    try:
        if args.command == "info":
            dev = detect_device()
            print(f"GPU:       {dev.gpu}")
            print(f"TensorRT:  {dev.trt_version}")
            print(f"trtexec:   {dev.trtexec or 'not found'}")
            return 0 if dev.trtexec else 1
        if args.command == "warm":
            cache = args.trt_cache_dir or _data_dir(args.config) / "trt_cache"
            providers = warm_ort_cache(args.onnx, cache)
            print(f"ONNX Runtime engines cached in {cache} ({providers[0]})")
            print(f"config:\n  model:\n    path: {args.onnx.resolve()}\n"
                  f"    providers: [tensorrt, cuda, cpu]\n    trt_cache_dir: {cache}")
            return 0
        spec = BuildSpec(precision=args.precision or "fp16", opt_batch=args.opt_batch,
                         max_batch=args.max_batch, workspace_mb=args.workspace,
                         calib_cache=args.calib_cache)
        root = args.cache_dir or _data_dir(args.config) / "engines"
        result = build_engine(args.onnx, root, spec, force=args.force, dry_run=args.dry_run)
    except TensorRTError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(" ".join(result.command))
    if args.dry_run:
        print(f"(dry run) would write {result.engine}")
        return 0
    state = "cached" if result.cached else "built"
    latency = (f", GPU median {result.gpu_median_ms:.2f} ms per batch of {spec.opt_batch}"
               if result.gpu_median_ms is not None else "")
    print(f"{state}: {result.engine}{latency}")
    print("Use it directly (TensorRT runtime, trtexec --loadEngine, Triton), or let the app's "
          "ONNX Runtime TensorRT provider build and cache its own engine:\n"
          f"  python -m deploy.tensorrt warm --onnx {args.onnx}\n"
          "  model:\n    providers: [tensorrt, cuda, cpu]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
