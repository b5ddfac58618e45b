"""``python -m deploy.models``: install a new EPAM-Net model on a device, and roll back.

    python -m deploy.models install new.onnx     # check it, keep it, make it current
    python -m deploy.models rollback             # back to the previous model
    python -m deploy.models list

Models live in ``<data_dir>/models`` as ``<stem>-<sha256[:12]>.onnx``; ``current.onnx``
is a symbolic link to the one in use (point ``model.path`` at it once) and
``previous.onnx`` to the one before. Links are replaced atomically, so the app never
sees a half-written model; it reads the link at start, so restart it afterwards
(``systemctl restart epam-edge`` or ``docker compose restart``). Old files stay until
removed by hand, so a rollback also finds its TensorRT engines still cached (they are
keyed by the model's hash). No torch needed.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
from pathlib import Path

from deploy.programs import ProgramError, app_data_dir
from model.files import file_sha256

__all__ = ["ModelStoreError", "current", "install", "main", "rollback"]

log = logging.getLogger(__name__)
CURRENT = "current.onnx"
PREVIOUS = "previous.onnx"


class ModelStoreError(RuntimeError):
    """The model cannot be installed or there is nothing to roll back to."""


def _link(models_dir: Path, name: str, target: Path | None) -> None:
    """Point ``models_dir/name`` at ``target`` (relative link) atomically; None removes it."""
    link = models_dir / name
    if target is None:
        link.unlink(missing_ok=True)
        return
    tmp = models_dir / f".{name}.tmp"
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(target.name)
    os.replace(tmp, link)


def _resolved(models_dir: Path, name: str) -> Path | None:
    link = models_dir / name
    if not link.is_symlink() and not link.exists():
        return None
    return link.resolve()


def current(models_dir: Path) -> Path | None:
    """The model ``current.onnx`` points at, or None."""
    return _resolved(models_dir, CURRENT)


def _check(path: Path, run_window: bool) -> str:
    """Load ``path`` as the app would (``model.onnxfile``: file, ONNX Runtime, inputs,
    metadata, outputs); optionally run one blank window."""
    import numpy as np

    from model.onnxfile import (
        ModelError,
        blank_window,
        check_session,
        open_session,
        read_model,
        session_options,
    )

    try:
        session = open_session(read_model(path), path, session_options(),
                               ["CPUExecutionProvider"])
        meta = check_session(session, path)
    except ModelError as exc:
        raise ModelStoreError(str(exc)) from exc
    if run_window:
        pose, rgb = blank_window(meta.geometry)
        logits = session.run(["scores"], {"pose_heatmaps": pose[None], "rgb": rgb[None]})[0]
        if not np.all(np.isfinite(logits)):
            raise ModelStoreError(f"{path} gives non-finite logits on a blank window")
    names = ", ".join(meta.class_names)
    return f"{meta.model_name}, {len(meta.class_names)} classes ({names})"


def install(source: Path, models_dir: Path, *, run_window: bool = True) -> Path:
    """Check ``source``, copy it into ``models_dir`` and make it current; returns the copy."""
    if not source.is_file():
        raise ModelStoreError(f"{source} does not exist")
    summary = _check(source, run_window)
    digest = file_sha256(source)
    models_dir.mkdir(parents=True, exist_ok=True)
    stem = source.stem.removesuffix(".onnx")
    dest = models_dir / f"{stem}-{digest[:12]}.onnx"
    if not dest.exists():
        tmp = dest.with_name(dest.name + ".tmp")
        shutil.copyfile(source, tmp)
        os.replace(tmp, dest)
    old = current(models_dir)
    if old is not None and old == dest.resolve():
        log.info("%s is already the current model", dest.name)
        return dest
    if old is not None and old.exists():
        _link(models_dir, PREVIOUS, old)
    _link(models_dir, CURRENT, dest)
    log.info("current model: %s (%s)", dest.name, summary)
    return dest


def rollback(models_dir: Path) -> Path:
    """Swap ``current.onnx`` and ``previous.onnx``; returns the model now current."""
    prev = _resolved(models_dir, PREVIOUS)
    if prev is None or not prev.exists():
        raise ModelStoreError(f"no previous model in {models_dir} to roll back to")
    cur = current(models_dir)
    _link(models_dir, CURRENT, prev)
    _link(models_dir, PREVIOUS, cur if cur is not None and cur.exists() else None)
    return prev


def _models_dir(args: argparse.Namespace) -> Path:
    if args.models_dir:
        return Path(args.models_dir)
    try:
        return app_data_dir(args.config) / "models"
    except ProgramError as exc:
        raise ModelStoreError(str(exc)) from exc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.models",
                                     description="Install EPAM-Net models and roll back.")
    parser.add_argument("--models-dir", type=Path, help="default: <data_dir>/models")
    parser.add_argument("--config", type=Path, help="app config (for data_dir)")
    sub = parser.add_subparsers(dest="command", required=True)
    inst = sub.add_parser("install", help="check a model and make it current")
    inst.add_argument("model", type=Path, help="an EPAM-Net .onnx from deploy.export")
    inst.add_argument("--no-run", action="store_true", help="skip the one-window test run")
    sub.add_parser("rollback", help="make the previous model current again")
    sub.add_parser("list", help="models kept, current and previous")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        models_dir = _models_dir(args)
        if args.command == "install":
            dest = install(args.model, models_dir, run_window=not args.no_run)
            print(f"current model: {dest}")
        elif args.command == "rollback":
            print(f"rolled back; current model: {rollback(models_dir)}")
        else:
            cur, prev = current(models_dir), _resolved(models_dir, PREVIOUS)
            for path in sorted(models_dir.glob("*.onnx")):
                if path.is_symlink():
                    continue
                tag = ("current" if path.resolve() == cur else
                       "previous" if path.resolve() == prev else "")
                print(f"{tag:<9}{path.name}  {path.stat().st_size / 1e6:.1f} MB")
            return 0
    except ModelStoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"point model.path at {models_dir / CURRENT} (once), then restart the app: "
          "sudo systemctl restart epam-edge  (or: docker compose restart)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
