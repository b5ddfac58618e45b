"""``python -m edge_app.prepare``: what installing a model asks of the app before it starts.

    python -m edge_app.prepare data-dir [--config C]          # the app's data directory
    python -m edge_app.prepare warm --cache-dir DIR -- M.onnx  # ONNX Runtime's TensorRT cache

``deploy`` runs these as programs, as it runs ``edge_app.calibration`` (it does not import
the app: DESIGN's package table). ``data-dir`` prints ``<data_dir>`` as the app resolves
it (defaults, the config file, ``${ENV}`` values, ``$EPAM_DATA_DIR``), for
``deploy.models`` and ``deploy.tensorrt``. ``warm`` opens the model with the app's own
``ModelRunner`` on ``[tensorrt, cuda, cpu]`` and runs one full and one pose-only window,
so ONNX Runtime builds the very engines the app looks for in ``DIR`` at its start; it
prints the providers the session used, one a line, TensorRT first.

A failure is one ``error: ...`` line on stderr and exit status 1.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from edge_app.config import ConfigError, load_config
from edge_app.runner import ModelError, ModelRunner
from model.onnxfile import blank_window
from model.windows import ERROR_PREFIX

__all__ = ["PrepareError", "data_dir", "main", "warm"]

TENSORRT = "TensorrtExecutionProvider"


class PrepareError(RuntimeError):
    """The step cannot be done here (no TensorRT provider, say)."""


def data_dir(config: Path | None) -> Path:
    """The app's data directory with ``config`` (None: the defaults)."""
    return load_config(config).resolved_data_dir()


def warm(model: Path, cache_dir: Path) -> list[str]:
    """Let ONNX Runtime's TensorRT provider build the app's engines into ``cache_dir`` now:
    one full window and one pose-only window. Returns the providers the session used;
    ``PrepareError`` when TensorRT is not the first (nothing to cache then)."""
    runner = ModelRunner(model, providers=("tensorrt", "cuda", "cpu"), cache_dir=cache_dir)
    if runner.providers[0] != TENSORRT:
        raise PrepareError(f"ONNX Runtime has no TensorRT provider here (it runs on "
                           f"{runner.providers[0]}); install onnxruntime-gpu built with "
                           "TensorRT (on Jetson: the Jetson Zoo wheel)")
    pose, rgb = blank_window(runner.metadata.geometry)
    runner.predict(pose, rgb)
    runner.predict(pose, None)
    return runner.providers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m edge_app.prepare",
        description="The app's data directory, and its TensorRT engines built ahead.")
    sub = parser.add_subparsers(dest="command", required=True)
    where = sub.add_parser("data-dir", help="print the app's data directory")
    where.add_argument("--config", type=Path, help="app config (default: the defaults)")
    cache = sub.add_parser("warm", help="build ONNX Runtime's TensorRT engines of a model")
    cache.add_argument("model", type=Path, help="an EPAM-Net .onnx")
    cache.add_argument("--cache-dir", type=Path, required=True,
                       help="ONNX Runtime's engine cache (model.trt_cache_dir)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        if args.command == "data-dir":
            print(data_dir(args.config))
        else:
            print("\n".join(warm(args.model, args.cache_dir)))
    except (ConfigError, ModelError, PrepareError) as exc:
        print(f"{ERROR_PREFIX}{exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
