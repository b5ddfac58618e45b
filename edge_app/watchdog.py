"""systemd readiness and watchdog notifications (``sd_notify``) without a dependency.

systemd passes ``$NOTIFY_SOCKET`` (a unix datagram socket; a leading ``@`` means the
abstract namespace) to a ``Type=notify`` service, and ``$WATCHDOG_USEC`` when the unit
has ``WatchdogSec=``. The service says ``READY=1`` once it works, ``WATCHDOG=1`` more
often than every ``WatchdogSec``, and ``STOPPING=1`` on its way out; a service that
stops pinging is killed (SIGABRT) and restarted by ``Restart=on-failure``.

``SystemdWatchdogSink`` ties this to the pipeline: added as a sink, it says ``READY=1``
at the first status report (models open, threads running) and pings on every status
report (once a second) while the pipeline is healthy: no error, and its sampling loop
going round (stuck for ``stall_s`` seconds, the pings stop and systemd restarts the
app). A camera that is down, or not there yet at start, is not a reason: the app waits
for it and says so in the status line, or systemd would restart it every few seconds.
Outside systemd (no ``$NOTIFY_SOCKET``) everything is a no-op.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Mapping

from edge_app.types import PipelineStatus, SinkBase

__all__ = ["SystemdNotifier", "SystemdWatchdogSink", "watchdog_interval_s"]

log = logging.getLogger(__name__)


def watchdog_interval_s(env: Mapping[str, str] | None = None) -> float | None:
    """``WatchdogSec`` in seconds when systemd asked this process for pings, else None.

    ``$WATCHDOG_PID``, when set, must be this process (systemd sets it for the main PID).
    """
    env = os.environ if env is None else env
    usec = env.get("WATCHDOG_USEC", "")
    pid = env.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) == 0:
        return None
    if pid and pid.isdigit() and int(pid) != os.getpid():
        return None
    return int(usec) / 1e6


class SystemdNotifier:
    """Sends ``sd_notify`` messages to ``$NOTIFY_SOCKET`` (or ``socket_path``).

    ``enabled`` is False when there is no socket (not under systemd): every call is then
    a no-op that returns False. Messages are ``KEY=VALUE`` lines in one datagram.
    """

    def __init__(self, socket_path: str | None = None,
                 env: Mapping[str, str] | None = None) -> None:
        env = os.environ if env is None else env
        path = socket_path if socket_path is not None else env.get("NOTIFY_SOCKET", "")
        self.address = "\0" + path[1:] if path.startswith("@") else path
        self.enabled = bool(path)
        self.watchdog_s = watchdog_interval_s(env)
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()

    def notify(self, **fields: str | int) -> bool:
        """Send ``KEY=VALUE`` fields (``READY=1``, ``STATUS=...``); False when it failed."""
        if not self.enabled or not fields:
            return False
        payload = "\n".join(f"{k}={v}" for k, v in fields.items()).encode()
        with self._lock:
            try:
                if self._sock is None:
                    self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                    self._sock.setblocking(False)
                self._sock.sendto(payload, self.address)
            except OSError as exc:
                log.debug("sd_notify to %r failed: %s", self.address, exc)
                return False
        return True

    def ready(self, status: str = "") -> bool:
        fields: dict[str, str | int] = {"READY": 1}
        if status:
            fields["STATUS"] = status
        return self.notify(**fields)

    def ping(self) -> bool:
        """``WATCHDOG=1``: I am alive."""
        return self.notify(WATCHDOG=1)

    def status(self, text: str) -> bool:
        """Free text shown by ``systemctl status``."""
        return self.notify(STATUS=text)

    def extend_timeout(self, seconds: float) -> bool:
        """Ask for more start-up (or stop) time, e.g. while a TensorRT engine builds."""
        return self.notify(EXTEND_TIMEOUT_USEC=int(seconds * 1e6))

    def stopping(self) -> bool:
        return self.notify(STOPPING=1)

    def close(self) -> None:
        with self._lock:
            if self._sock is not None:
                self._sock.close()
                self._sock = None


class SystemdWatchdogSink(SinkBase):
    """A pipeline sink that reports readiness and liveness to systemd.

    Args:
        notifier: where to send (default: ``$NOTIFY_SOCKET``).
        stall_s: the sampling loop not going round for this long (seconds) means the
            app is stuck: pings stop and systemd restarts it.
    """

    name = "systemd"

    def __init__(self, notifier: SystemdNotifier | None = None, *,
                 stall_s: float = 120.0) -> None:
        self.notifier = notifier or SystemdNotifier()
        self.stall_s = stall_s
        self._ready = False
        self._unhealthy_reason = ""
        self._by_camera: dict[str, str] = {}
        self.pings = 0

    @property
    def enabled(self) -> bool:
        return self.notifier.enabled

    def _problem(self, status: PipelineStatus) -> str:
        """Why not to ping: a pipeline error, or its sampling loop stuck. A camera that
        is down (or not there yet at start) is not one: the app waits for it, reports it
        (``status.problem``) and keeps pinging, so systemd does not restart it in a loop."""
        if status.error:
            return f"pipeline error: {status.error}"
        if status.loop_age_s > self.stall_s:
            return f"the sampling loop has not gone round for {status.loop_age_s:.0f} s"
        return ""

    def _problems(self, status: PipelineStatus) -> str:
        """Every camera's problem: one stuck camera stops the pings even while another
        camera's statuses keep coming."""
        self._by_camera[status.camera] = self._problem(status)
        return "; ".join(f"{cam}: {p}" if len(self._by_camera) > 1 else p
                         for cam, p in sorted(self._by_camera.items()) if p)

    def on_status(self, status: PipelineStatus) -> None:
        if not self.notifier.enabled:
            return
        summary = (f"{status.current_activity or 'idle'} | {status.inference_ms:.0f} ms/window "
                   f"on {status.provider} | {status.windows} windows"
                   + (f" | {status.problem}" if status.problem else ""))
        if not self._ready:
            self._ready = self.notifier.ready(summary)
            log.info("told systemd the monitor is ready")
        problem = self._problems(status)
        if problem:
            if problem != self._unhealthy_reason:
                log.error("watchdog: not pinging systemd (%s); it will restart the app",
                          problem)
                self.notifier.status(f"unhealthy: {problem}")
            self._unhealthy_reason = problem
            return
        if self._unhealthy_reason:
            log.info("watchdog: healthy again")
            self._unhealthy_reason = ""
        if self.notifier.ping():
            self.pings += 1
        self.notifier.status(summary)

    def close(self) -> None:
        self.notifier.stopping()
        self.notifier.close()
