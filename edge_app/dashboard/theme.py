"""Colours, type sizes and the words the dashboard uses (no widgets here).

Alert levels always come as colour *and* text *and* a symbol, so they read without colour.
Activity colours are the Okabe-Ito palette (distinguishable with colour-blindness).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

__all__ = [
    "ACTIVITY_PALETTE",
    "LEVELS",
    "THEME",
    "LevelStyle",
    "Theme",
    "activity_colour",
    "ago",
    "clock",
    "confidence_words",
    "describe_alert",
    "duration_words",
    "friendly_label",
    "level_style",
    "stylesheet",
]


@dataclass(frozen=True)
class LevelStyle:
    """How one alert level looks: background, text colour, symbol and word."""

    name: str
    background: str
    foreground: str
    symbol: str
    word: str


LEVELS: dict[str, LevelStyle] = {
    "critical": LevelStyle("critical", "#C62828", "#FFFFFF", "\u25cf", "CRITICAL"),
    "warning": LevelStyle("warning", "#F2A900", "#1F1300", "\u25b2", "WARNING"),
    "info": LevelStyle("info", "#3B6EA8", "#FFFFFF", "\u25a0", "INFO"),
}


def level_style(level: str) -> LevelStyle:
    return LEVELS.get(level, LEVELS["info"])


@dataclass(frozen=True)
class Theme:
    """The calm light theme: neutral surfaces, one muted accent, colour only for meaning."""

    window: str = "#F3F4F6"
    card: str = "#FFFFFF"
    border: str = "#DDE1E6"
    text: str = "#1F2328"
    muted: str = "#5B6470"
    accent: str = "#3B6EA8"
    accent_strong: str = "#244E7E"
    bar_track: str = "#E8EBEF"
    ok: str = "#2E7D4F"
    ok_soft: str = "#E6F2EA"
    paused: str = "#5B6470"
    paused_soft: str = "#E9ECF0"
    video_bg: str = "#1C2026"
    privacy_bg: str = "#4A515B"
    skeleton_left: str = "#56B4E9"
    skeleton_right: str = "#F0E442"
    skeleton_centre: str = "#FFFFFF"
    box: str = "#9AD0A8"


THEME = Theme()

# Okabe-Ito, minus black; then a few extra muted tones for large label sets.
ACTIVITY_PALETTE: tuple[str, ...] = (
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
    "#7F8C9A", "#8E6C8A", "#6B8E23", "#B8860B", "#4682B4",
)  # fmt: skip

_FRIENDLY: dict[str, str] = {
    "background": "No particular activity",
}


def friendly_label(label: str) -> str:
    """A class label in plain words, capitalised (``lying on the floor`` -> ``Lying on...``)."""
    text = _FRIENDLY.get(label, label.replace("_", " ").replace(".", ": "))
    return text[:1].upper() + text[1:]


def activity_colour(label: str, class_names: tuple[str, ...]) -> str:
    """A stable colour per class (by its index in the model's class list)."""
    try:
        i = class_names.index(label)
    except ValueError:
        i = sum(map(ord, label))
    return ACTIVITY_PALETTE[i % len(ACTIVITY_PALETTE)]


def describe_alert(rule: str, label: str) -> str:
    """What an alert means, for a caregiver."""
    if rule == "fall":
        return "Fall detected"
    if rule == "recovered_fall":
        return "Fell and got up"
    if rule == "possible_fall":
        return "Possible fall, not yet confirmed"
    if rule == "long_lie":
        return "On the floor for a long time"
    if rule == "no_person":
        return "Nobody seen for a long time"
    return friendly_label(label)


def confidence_words(p: float) -> str:
    """0-1 score in words, with the number (``Likely · 72%``)."""
    word = ("Very likely" if p >= 0.8 else "Likely" if p >= 0.6
            else "Possibly" if p >= 0.4 else "Unsure")
    return f"{word} \u00b7 {round(100 * p)}%"


def clock(wall: float) -> str:
    """Local ``HH:MM`` of an epoch time."""
    return time.strftime("%H:%M", time.localtime(wall))


def duration_words(seconds: float) -> str:
    """``0 min``, ``12 min``, ``1 h 05 min``."""
    minutes = int(max(0.0, seconds) // 60)
    if minutes < 60:
        if minutes == 0 and seconds >= 1:
            return f"{int(seconds)} s"
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def ago(wall: float, now: float) -> str:
    """``just now``, ``5 min ago``, ``2 h ago``."""
    d = max(0.0, now - wall)
    if d < 60:
        return "just now"
    if d < 3600:
        return f"{int(d // 60)} min ago"
    return f"{int(d // 3600)} h ago"


def stylesheet(scale: float = 1.0, base_pt: float = 10.0, theme: Theme = THEME) -> str:
    """The window's Qt style sheet; every size in points times ``scale`` (4K, low vision)."""

    def pt(factor: float) -> str:
        return f"{max(6.0, base_pt * scale * factor):.1f}pt"

    t = theme
    crit, warn = LEVELS["critical"], LEVELS["warning"]
    return f"""
QMainWindow, QDialog {{ background: {t.window}; }}
QWidget {{ color: {t.text}; font-size: {pt(1.0)}; }}
QWidget#card {{ background: {t.card}; border: 1px solid {t.border}; border-radius: 8px; }}
QLabel#cardTitle {{ color: {t.muted}; font-size: {pt(0.95)}; font-weight: 700; }}
QLabel#activity {{ font-size: {pt(2.7)}; font-weight: 700; color: {t.text}; }}
QLabel#confidence {{ font-size: {pt(1.25)}; color: {t.muted}; }}
QLabel#muted {{ color: {t.muted}; }}
QFrame#tile {{ background: {t.window}; border-radius: 6px; }}
QFrame#tile[alert="1"] {{ background: #FDECEA; }}
QLabel#tileValue {{ font-size: {pt(1.55)}; font-weight: 700; }}
QFrame#tile[alert="1"] QLabel#tileValue {{ color: {crit.background}; }}
QLabel#tileCaption {{ font-size: {pt(0.95)}; color: {t.muted}; }}
QFrame#banner {{ border-radius: 8px; }}
QFrame#banner[level="ok"] {{ background: {t.ok_soft}; border: 1px solid #CDE3D4; }}
QFrame#banner[level="ok"] QLabel {{ color: {t.ok}; }}
QFrame#banner[level="ok"] QLabel#bannerTitle {{ font-size: {pt(1.15)}; font-weight: 600; }}
QFrame#banner[level="ok"] QLabel#bannerIcon {{ font-size: {pt(1.3)}; font-weight: 700; }}
QFrame#banner[level="critical"] {{ background: {crit.background}; }}
QFrame#banner[level="critical"][blink="true"] {{ background: #8E1B1B; }}
QFrame#banner[level="critical"] QLabel {{ color: {crit.foreground}; }}
QFrame#banner[level="warning"] {{ background: {warn.background}; }}
QFrame#banner[level="warning"] QLabel {{ color: {warn.foreground}; }}
QFrame#banner[level="critical"] QLabel#bannerTitle,
QFrame#banner[level="warning"] QLabel#bannerTitle {{ font-size: {pt(2.0)}; font-weight: 800; }}
QFrame#banner[level="critical"] QLabel#bannerIcon,
QFrame#banner[level="warning"] QLabel#bannerIcon {{ font-size: {pt(2.6)}; }}
QFrame#banner QLabel#bannerDetail {{ font-size: {pt(1.1)}; }}
QPushButton#ackButton {{ font-size: {pt(1.3)}; font-weight: 700; padding: 10px 22px;
    background: #FFFFFF; color: #1F2328; border: 2px solid #1F2328; border-radius: 8px; }}
QPushButton#ackButton:hover {{ background: #F1F1F1; }}
QFrame#banner[level="paused"] {{ background: {t.paused_soft}; border: 1px solid {t.border}; }}
QFrame#banner[level="paused"] QLabel {{ color: {t.paused}; font-size: {pt(1.15)};
    font-weight: 600; }}
QFrame#banner[level="paused"] QPushButton#ackButton {{ font-size: {pt(1.05)}; padding: 4px 14px;
    border-width: 1px; }}
QToolBar {{ background: {t.card}; border: none; border-bottom: 1px solid {t.border};
    spacing: 4px; padding: 3px; }}
QToolButton {{ padding: 5px 10px; border-radius: 6px; }}
QToolButton:hover {{ background: {t.window}; }}
QToolButton:checked {{ background: #DCE7F3; color: {t.accent_strong}; font-weight: 600; }}
QStatusBar {{ background: {t.card}; border-top: 1px solid {t.border}; }}
QStatusBar QLabel {{ color: {t.muted}; padding: 0 6px; font-size: {pt(0.95)}; }}
QStatusBar QLabel[problem="1"] {{ color: {crit.background}; font-weight: 600; }}
QTreeWidget {{ border: none; background: {t.card}; }}
QHeaderView::section {{ background: {t.card}; color: {t.muted}; border: none;
    border-bottom: 1px solid {t.border}; padding: 3px 6px; }}
QSplitter::handle {{ background: transparent; }}
QPushButton#cameraTab {{ font-size: {pt(1.1)}; font-weight: 600; padding: 5px 16px;
    background: {t.card}; color: {t.text}; border: 1px solid {t.border}; border-radius: 8px; }}
QPushButton#cameraTab:hover {{ background: {t.window}; }}
QPushButton#cameraTab:checked {{ background: #DCE7F3; color: {t.accent_strong};
    border: 2px solid {t.accent}; }}
QPushButton#cameraTab[alert="1"] {{ color: {crit.background}; border: 2px solid {crit.background};
    background: #FDECEA; }}
QPushButton#cameraTab[alert="1"]:checked {{ background: {crit.background};
    color: {crit.foreground}; }}
"""
