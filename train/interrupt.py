"""SIGINT/SIGTERM during training: finish the current step, checkpoint, exit.

The first signal only sets a flag the training loop reads between steps; a second
SIGINT interrupts at once (``KeyboardInterrupt``) for a user who really wants out.
"""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType, TracebackType
from typing import Any

__all__ = ["StopRequest"]

log = logging.getLogger(__name__)


class StopRequest:
    """Context manager installing the handlers (main thread only) and holding the flag."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self._previous: dict[int, Any] = {}

    @property
    def requested(self) -> bool:
        return self.signum is not None

    def request(self, signum: int = signal.SIGTERM) -> None:
        """Ask the loop to stop (what the signal handler does; usable from code)."""
        if self.signum is None:
            self.signum = signum

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.signum is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt
        log.warning("received %s: saving a checkpoint after this step (Ctrl-C again to quit "
                    "without saving)", signal.Signals(signum).name)
        self.request(signum)

    def __enter__(self) -> StopRequest:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()
