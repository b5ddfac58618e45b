from __future__ import annotations

import json

import pytest

from model import info
from model.complexity import epamnet_complexity


def test_complexity_matches_the_bar() -> None:
    report = epamnet_complexity(60)
    assert report["rgb"].params == 2_006_010
    assert report["pose"].params == 532_600
    assert report["attention"].params == 107
    assert report["total"].params == pytest.approx(2.539e6, rel=1e-3)
    assert report["rgb"].macs == pytest.approx(4.26e9, rel=0.03)
    assert report["pose"].macs == pytest.approx(3.36e9, rel=0.03)
    parts = report["rgb"].macs + report["pose"].macs + report["attention"].macs
    assert report["total"].macs == parts


def test_info_json_keys(capsys: pytest.CaptureFixture[str]) -> None:
    assert info.main(["--classes", "8", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"rgb", "pose", "attention", "total"}
    assert all(set(v) == {"params", "macs"} for v in data.values())
    assert data["pose"]["params"] == 532_600 - 52 * 216 - 52  # 8 instead of 60 classes


def test_info_table_shows_the_paper_and_the_gap(capsys: pytest.CaptureFixture[str]) -> None:
    assert info.main([]) == 0
    out = capsys.readouterr().out
    assert "514.7k" in out and "532.6k" in out and "+17.9k" in out
