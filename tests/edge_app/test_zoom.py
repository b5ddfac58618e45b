"""Where the pose tracker looks again, closer (edge_app.zoom): geometry only."""

from __future__ import annotations

import numpy as np

from edge_app.zoom import MIN_SIDE, ZoomPlanner, person_box

SIZE = (640, 360)


def test_a_small_person_gets_a_square_region_around_them_inside_the_frame() -> None:
    z = ZoomPlanner(min_height=0.3, margin=0.75)
    box = (300.0, 150.0, 320.0, 210.0)  # 60 px tall: small in 360
    region = z.plan(box, SIZE, 0.0)
    assert region is not None
    x0, y0, x1, y1 = region
    assert x1 - x0 == y1 - y0 == round(60 * 2.5)
    assert x0 <= 300 and x1 >= 320 and y0 <= 150 and y1 >= 210
    # near a corner: shifted inside the frame, same size
    corner = z.around((0.0, 0.0, 20.0, 60.0), SIZE)
    assert corner is not None and corner[0] == 0 and corner[1] == 0
    assert corner[2] - corner[0] == round(60 * 2.5)
    # a tiny box still gets a region worth a call
    tiny = z.around((100.0, 100.0, 102.0, 104.0), SIZE)
    assert tiny is not None and tiny[2] - tiny[0] == MIN_SIDE


def test_a_person_big_enough_needs_no_second_look() -> None:
    z = ZoomPlanner(min_height=0.3)
    assert z.plan((100.0, 20.0, 200.0, 340.0), SIZE, 0.0) is None
    # lying across the picture: low, not small
    assert z.plan((100.0, 300.0, 260.0, 340.0), SIZE, 1.0) is None


def test_a_lost_person_is_looked_for_where_last_seen_for_keep_s_then_by_tiles() -> None:
    z = ZoomPlanner(keep_s=2.0, search_every=2)
    box = (300.0, 150.0, 320.0, 210.0)
    seen_at = z.plan(box, SIZE, 10.0)
    assert z.plan(None, SIZE, 11.5) == seen_at  # lost 1.5 s ago: where they were
    tiles = [z.plan(None, SIZE, 13.0 + i) for i in range(18)]
    got = [t for t in tiles if t is not None]
    assert len(got) == 9  # every 2nd call, one tile each
    assert len(set(got)) == 9
    w, h = SIZE
    for x0, y0, x1, y1 in got:  # half-size tiles, inside the frame
        assert (x1 - x0, y1 - y0) == (w // 2, h // 2)
        assert 0 <= x0 and x1 <= w and 0 <= y0 and y1 <= h
    # together they cover the whole frame
    cover = np.zeros((h, w), bool)
    for x0, y0, x1, y1 in got:
        cover[y0:y1, x0:x1] = True
    assert cover.all()


def test_a_finer_search_grid_has_smaller_tiles_that_still_cover_the_frame() -> None:
    """search_grid 5: 25 third-size tiles overlapping by half (a far person three times as
    large to the pose model), each visited once per round."""
    z = ZoomPlanner(search_every=1, search_grid=5)
    w, h = 1280, 720
    got = [z.plan(None, (w, h), float(i)) for i in range(50)]
    assert all(t is not None for t in got)
    first, second = got[:25], got[25:]
    assert len(set(first)) == 25 and first == second  # every tile once, then again
    cover = np.zeros((h, w), bool)
    for x0, y0, x1, y1 in first:  # type: ignore[misc]
        assert (x1 - x0, y1 - y0) == (2 * w // 6, 2 * h // 6)
        assert 0 <= x0 and x1 <= w and 0 <= y0 and y1 <= h
        cover[y0:y1, x0:x1] = True
    assert cover.all()


def test_no_search_when_disabled_and_reset_forgets() -> None:
    z = ZoomPlanner(search_every=0)
    assert all(z.plan(None, SIZE, float(i)) is None for i in range(10))
    z.plan((300.0, 150.0, 320.0, 210.0), SIZE, 0.0)
    z.reset()
    assert z.plan(None, SIZE, 0.5) is None


def test_person_box_of_scored_joints() -> None:
    kp = np.array([[10, 20], [30, 40], [50, 5], [0, 0]], np.float32)
    sc = np.array([0.9, 0.8, 0.7, 0.1], np.float32)
    assert person_box(kp, sc) == (10.0, 5.0, 50.0, 40.0)
    assert person_box(kp, np.array([0.9, 0.1, 0.1, 0.1], np.float32)) is None


def test_a_close_person_who_crouches_is_not_small() -> None:
    """Small is judged on the person's size over the last seconds: someone tall in the
    picture who crouches (a compact box) gets no second look; someone far does."""
    z = ZoomPlanner(min_height=0.3, size_memory_s=5.0)
    assert z.plan((300.0, 40.0, 360.0, 340.0), SIZE, 0.0) is None  # standing, 300 px tall
    assert z.plan((300.0, 250.0, 360.0, 340.0), SIZE, 1.0) is None  # crouching, 90 px
    assert z.plan((300.0, 250.0, 360.0, 340.0), SIZE, 7.0) is not None  # 6 s later: small
