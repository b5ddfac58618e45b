"""Can the dashboard open a window here? Checked before Qt is started.

Qt aborts the whole process (it does not raise) when its platform plugin cannot load,
so ``doctor`` and ``make run`` ask first and fall back to headless with a message that
names what to install. Nothing here imports Qt's GUI modules at import time.
"""

from __future__ import annotations

import ctypes.util
import importlib
import importlib.util
import logging
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

__all__ = ["DEBIAN_PACKAGES", "check_display", "missing_libraries"]

log = logging.getLogger(__name__)

# Shared libraries Qt's platform plugins load, and the Debian/Ubuntu package of each.
DEBIAN_PACKAGES: dict[str, str] = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xinput.so.0": "libxcb-xinput0",
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libSM.so.6": "libsm6",
    "libICE.so.6": "libice6",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libOpenGL.so.0": "libopengl0",
    "libGLX.so.0": "libglx0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libwayland-client.so.0": "libwayland-client0",
    "libwayland-cursor.so.0": "libwayland-cursor0",
    "libwayland-egl.so.1": "libwayland-egl1",
}

# What the xcb plugin needs beyond a plain X11 client (checked when ``ldd`` is unavailable);
# the first three are the ones seen missing on plain Debian/Ubuntu desktops.
_XCB_LIBS: tuple[str, ...] = (
    "libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libxcb-image.so.0",
    "libxcb-render-util.so.0", "libxcb-randr.so.0", "libxcb-shape.so.0", "libxcb-xkb.so.1",
    "libxkbcommon-x11.so.0", "libX11-xcb.so.1",
)  # fmt: skip
_WAYLAND_LIBS: tuple[str, ...] = (
    "libwayland-client.so.0", "libwayland-cursor.so.0", "libwayland-egl.so.1",
)  # fmt: skip
# Platforms that need no display server.
_NO_DISPLAY_PLATFORMS = frozenset({"offscreen", "minimal", "minimalegl", "vnc", "eglfs",
                                   "linuxfb", "vkkhrdisplay"})
_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found", re.MULTILINE)

LibraryFinder = Callable[[str], str | None]


def _find_library(soname: str) -> str | None:
    """``ctypes.util.find_library`` for a full soname such as ``libxcb-cursor.so.0``."""
    stem = soname.removeprefix("lib").split(".so")[0]
    return ctypes.util.find_library(stem)


def _qt_dir() -> Path | None:
    spec = importlib.util.find_spec("PyQt6")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "Qt6"


def _ldd_missing(files: Iterable[Path]) -> list[str] | None:
    """Sonames ``ldd`` reports as not found for ``files``; None if ldd cannot tell."""
    ldd = shutil.which("ldd")
    files = [f for f in files if f.is_file()]
    if ldd is None or not files:
        return None
    missing: list[str] = []
    for f in files:
        try:
            out = subprocess.run([ldd, str(f)], capture_output=True, text=True, timeout=10,
                                 check=False).stdout
        except (OSError, subprocess.SubprocessError) as exc:
            log.debug("ldd %s failed: %s", f, exc)
            return None
        missing.extend(m for m in _NOT_FOUND.findall(out) if m not in missing)
    return missing


def missing_libraries(
    platform: str = "xcb",
    *,
    find_library: LibraryFinder | None = None,
    use_ldd: bool = True,
) -> list[str]:
    """Sonames the Qt platform plugin ``platform`` (``xcb`` or ``wayland``) cannot load.

    Asks ``ldd`` about the plugin shipped with PyQt6 when it can (exact), else looks up a
    known list with ``find_library`` (default: ``ctypes.util.find_library``).
    """
    if find_library is None and use_ldd:
        qt = _qt_dir()
        if qt is not None:
            files = [qt / "plugins" / "platforms" / f"libq{platform}.so"]
            if platform == "xcb":
                files.append(qt / "lib" / "libQt6XcbQpa.so.6")
            else:
                files.append(qt / "lib" / "libQt6WaylandClient.so.6")
            found = _ldd_missing(files)
            if found is not None:
                return found
    finder = find_library or _find_library
    wanted = _XCB_LIBS if platform == "xcb" else _WAYLAND_LIBS
    return [lib for lib in wanted if finder(lib) is None]


def _install_hint(sonames: Iterable[str]) -> str:
    names = list(sonames)
    pkgs = [DEBIAN_PACKAGES[s] for s in names if s in DEBIAN_PACKAGES]
    unknown = [s for s in names if s not in DEBIAN_PACKAGES]
    parts = []
    if pkgs:
        parts.append("install them with: sudo apt-get install " + " ".join(dict.fromkeys(pkgs)))
    if unknown:
        parts.append("install the packages that provide " + ", ".join(unknown))
    return "; ".join(parts)


def _qt_import_problem() -> str | None:
    if importlib.util.find_spec("PyQt6") is None:
        return "PyQt6 is not installed: pip install PyQt6 (it is a runtime dependency)"
    try:
        importlib.import_module("PyQt6.QtWidgets")
    except ImportError as exc:
        text = str(exc)
        m = re.search(r"(lib[\w.+-]+\.so[\w.]*)", text)
        if m:
            return (f"PyQt6 cannot load {m.group(1)} ({text}); {_install_hint([m.group(1)])}")
        return f"PyQt6 cannot be imported: {text}"
    return None


def check_display(
    env: Mapping[str, str] | None = None,
    *,
    find_library: LibraryFinder | None = None,
    use_ldd: bool = True,
) -> list[str]:
    """Problems that would stop the dashboard from opening, in plain words; [] = fine.

    Args:
        env: the environment to judge (default ``os.environ``).
        find_library: soname -> path or None (tests); default asks ``ldd`` about PyQt6's
            plugin, then ``ctypes.util.find_library``.
        use_ldd: allow the ``ldd`` check.
    """
    env = os.environ if env is None else env
    problems: list[str] = []
    qt = _qt_import_problem()
    if qt is not None:
        return [qt]
    platform = env.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip().lower()
    if platform in _NO_DISPLAY_PLATFORMS or not sys.platform.startswith("linux"):
        return problems
    has_x = bool(env.get("DISPLAY"))
    has_wayland = bool(env.get("WAYLAND_DISPLAY"))
    if platform == "wayland" or (not platform and has_wayland and not has_x):
        if not has_wayland:
            problems.append("QT_QPA_PLATFORM=wayland but WAYLAND_DISPLAY is not set: run it "
                            "from the desktop session")
            return problems
        missing = missing_libraries("wayland", find_library=find_library, use_ldd=use_ldd)
        if missing:
            problems.append("Qt's wayland platform plugin cannot load " + ", ".join(missing)
                            + "; " + _install_hint(missing))
        return problems
    if not has_x:
        problems.append("no display: DISPLAY and WAYLAND_DISPLAY are not set (run it from a "
                        "desktop session, or use --headless; screenshots work with "
                        "QT_QPA_PLATFORM=offscreen)")
        return problems
    missing = missing_libraries("xcb", find_library=find_library, use_ldd=use_ldd)
    if missing:
        problems.append(
            "Qt's xcb platform plugin cannot load " + ", ".join(missing) + " (Qt would abort "
            "with 'Could not load the Qt platform plugin \"xcb\"'); " + _install_hint(missing))
    return problems
