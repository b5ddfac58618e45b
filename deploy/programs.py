"""The edge app's and the trainer's programs, run from ``deploy``.

``deploy`` imports neither ``edge_app`` nor ``train`` (DESIGN's package table). Where a
step needs what they do (windows made by the app's pipeline, the app's data directory,
the app's TensorRT engines), it runs them as programs, ``python -m <module>``, with this
checkout on ``PYTHONPATH``. A program that fails says why on a stderr line that starts
with ``error: `` (``model.windows.ERROR_PREFIX``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from model.windows import ERROR_PREFIX

__all__ = ["ProgramError", "app_data_dir", "checked_output", "run_module", "why_failed"]

ROOT = Path(__file__).resolve().parent.parent  # where edge_app/ and train/ are


class ProgramError(RuntimeError):
    """A program run from ``deploy`` failed; the message is its ``error:`` line."""


def _split(stderr: str) -> tuple[list[str], list[str]]:
    """(log lines, error messages) of a program's stderr: an ``error:`` line with the
    indented lines after it (a config error lists the bad keys so) is one message."""
    log_lines: list[str] = []
    errors: list[str] = []
    in_error = False
    for line in stderr.strip().splitlines():
        if line.startswith(ERROR_PREFIX):
            errors.append(line.removeprefix(ERROR_PREFIX))
            in_error = True
        elif in_error and line[:1].isspace():
            errors[-1] += "\n" + line
        else:
            log_lines.append(line)
            in_error = False
    return log_lines, errors


def run_module(module: str, args: list[str], *,
               echo_log: bool = False) -> subprocess.CompletedProcess[str]:
    """``python -m module ARGS``, its output captured. ``echo_log``: its stderr lines other
    than the ``error:`` message are written to this program's stderr (its log)."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    proc = subprocess.run([sys.executable, "-m", module, *args],
                          capture_output=True, text=True, check=False,
                          env=dict(os.environ, PYTHONPATH=path))
    if echo_log:
        for line in _split(proc.stderr)[0]:
            print(line, file=sys.stderr)
    return proc


def why_failed(module: str, proc: subprocess.CompletedProcess[str]) -> str:
    """The program's last ``error:`` message, else its exit status and last lines."""
    errors = _split(proc.stderr)[1]
    lines = proc.stderr.strip().splitlines()
    return (errors[-1] if errors else
            f"python -m {module} failed (exit {proc.returncode}): "
            f"{' / '.join(lines[-3:]) or 'no output'}")


def checked_output(module: str, args: list[str], *, echo_log: bool = False) -> str:
    """The stdout of ``python -m module ARGS``; ``ProgramError`` when it fails."""
    proc = run_module(module, args, echo_log=echo_log)
    if proc.returncode != 0:
        raise ProgramError(why_failed(module, proc))
    return proc.stdout


def app_data_dir(config: Path | None) -> Path:
    """The edge app's data directory with the app config ``config`` (None: its defaults),
    as the app resolves it (``python -m edge_app.prepare data-dir``); ``ProgramError``
    naming what is wrong in the config."""
    args = ["data-dir"] + ([f"--config={config}"] if config is not None else [])
    return Path(checked_output("edge_app.prepare", args).strip())
