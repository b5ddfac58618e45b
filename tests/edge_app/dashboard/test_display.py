from __future__ import annotations

import sys

import pytest

from edge_app.dashboard import check_display
from edge_app.dashboard.display import DEBIAN_PACKAGES, missing_libraries

linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11/Wayland checks")


def _all_present(soname: str) -> str | None:
    return f"/usr/lib/{soname}"


def test_offscreen_needs_no_display() -> None:
    assert check_display({"QT_QPA_PLATFORM": "offscreen"}) == []


@linux
def test_no_display_is_reported_with_the_way_out() -> None:
    problems = check_display({}, find_library=_all_present)
    assert len(problems) == 1
    assert "DISPLAY" in problems[0] and "--headless" in problems[0]


@linux
def test_missing_xcb_libraries_name_the_debian_packages() -> None:
    gone = {"libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxcb-keysyms.so.1"}

    def finder(soname: str) -> str | None:
        return None if soname in gone else f"/usr/lib/{soname}"

    problems = check_display({"DISPLAY": ":0"}, find_library=finder)
    assert len(problems) == 1
    msg = problems[0]
    assert "xcb" in msg and "sudo apt-get install" in msg
    for pkg in ("libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1"):
        assert pkg in msg
    assert check_display({"DISPLAY": ":0"}, find_library=_all_present) == []


@linux
def test_wayland_session_is_judged_on_its_own_plugin() -> None:
    env = {"WAYLAND_DISPLAY": "wayland-0"}
    assert check_display(env, find_library=_all_present) == []
    problems = check_display({"QT_QPA_PLATFORM": "wayland"}, find_library=_all_present)
    assert problems and "WAYLAND_DISPLAY" in problems[0]


@linux
def test_real_probe_of_this_machine_gives_known_sonames() -> None:
    # whatever this machine lacks, each report is a soname ldd printed or a known one
    missing = missing_libraries("xcb")
    assert all(".so" in m for m in missing)
    problems = check_display({"DISPLAY": ":0"})
    if missing:
        known = [m for m in missing if m in DEBIAN_PACKAGES]
        assert problems and all(DEBIAN_PACKAGES[m] in problems[0] for m in known)
    else:
        assert problems == []
