from __future__ import annotations

import pytest

from benchmarks.soak import rss_slope_per_10min


def test_slope_is_mb_per_10_minutes_after_the_warm_up() -> None:
    # +0.5 MB a minute after a big first-minute jump (left out as warm-up)
    series = [(1.0, 100.0), (2.0, 300.0), (3.0, 300.5), (4.0, 301.0), (5.0, 301.5)]
    assert rss_slope_per_10min(series) == pytest.approx(5.0)


def test_flat_and_too_short_series() -> None:
    assert rss_slope_per_10min([(1.0, 200.0), (2.0, 200.0), (3.0, 200.0)]) == 0.0
    assert rss_slope_per_10min([(1.0, 200.0)]) == 0.0
    assert rss_slope_per_10min([]) == 0.0
