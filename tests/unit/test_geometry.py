"""Point-in-polygon, line side, segment intersection, IoU and normalised -> pixel conversion."""

import numpy as np
import pytest

from cctwin.geometry import box_iou, points_in_polygon, segments_intersect, side_of_line, to_pixels


def pts(*xy: tuple[float, float]) -> np.ndarray:
    return np.array(xy, dtype=np.float32).reshape(-1, 2)


SQUARE = pts((10, 10), (90, 10), (90, 90), (10, 90))
# An L: the 60x60 square minus its bottom-right 30x30 quarter (a concave notch).
L_SHAPE = pts((0, 0), (60, 0), (60, 30), (30, 30), (30, 60), (0, 60))


@pytest.mark.parametrize(
    ("point", "expected"),
    [
        ((50, 50), True),  # centre
        ((10.01, 50), True),  # just inside the left edge
        ((89.99, 50), True),  # just inside the right edge
        ((50, 10.01), True),  # just inside the top edge
        ((50, 89.99), True),  # just inside the bottom edge
        ((9.99, 50), False),  # just outside the left edge
        ((90.01, 50), False),  # just outside the right edge
        ((50, 9.99), False),  # just outside the top edge
        ((50, 90.01), False),  # just outside the bottom edge
        ((1000, 1000), False),  # far away
        ((-1000, 50), False),  # far left, level with the square
        ((50, -1000), False),  # far above
    ],
)
def test_points_in_square(point: tuple[float, float], expected: bool) -> None:
    assert points_in_polygon(pts(point), SQUARE).tolist() == [expected]


@pytest.mark.parametrize(
    ("point", "expected"),
    [
        ((10, 10), True),  # top-left arm
        ((45, 15), True),  # top arm, right of the notch column
        ((15, 45), True),  # left arm, below the notch row
        ((29, 59), True),  # inner corner of the left arm
        ((45, 45), False),  # inside the bounding box but in the notch
        ((31, 31), False),  # just inside the notch corner
        ((59, 59), False),  # far corner of the bounding box
        ((70, 10), False),  # right of the shape
    ],
)
def test_points_in_concave_l_shape(point: tuple[float, float], expected: bool) -> None:
    assert points_in_polygon(pts(point), L_SHAPE).tolist() == [expected]


def test_points_in_polygon_is_vectorised_and_keeps_order() -> None:
    points = pts((50, 50), (-5, -5), (45, 45), (15, 15), (95, 50))
    assert points_in_polygon(points, L_SHAPE).tolist() == [False, False, False, True, False]
    assert points_in_polygon(points, SQUARE).tolist() == [True, False, True, True, False]


def test_points_in_polygon_empty_input() -> None:
    result = points_in_polygon(np.empty((0, 2), np.float32), SQUARE)
    assert result.shape == (0,)
    assert result.dtype == np.bool_


@pytest.mark.parametrize(
    ("point", "first", "second"),
    [
        # Two squares sharing the vertical edge x = 50.
        (
            (50, 25),
            pts((0, 0), (50, 0), (50, 50), (0, 50)),
            pts((50, 0), (100, 0), (100, 50), (50, 50)),
        ),
        # Two squares sharing the horizontal edge y = 50.
        (
            (25, 50),
            pts((0, 0), (50, 0), (50, 50), (0, 50)),
            pts((0, 50), (50, 50), (50, 100), (0, 100)),
        ),
    ],
)
def test_point_exactly_on_shared_edge_belongs_to_exactly_one_polygon(
    point: tuple[float, float], first: np.ndarray, second: np.ndarray
) -> None:
    inside = [bool(points_in_polygon(pts(point), poly)[0]) for poly in (first, second)]
    assert inside.count(True) == 1


@pytest.mark.parametrize(
    ("point", "expected_sign"),
    [
        ((5, 5), 1),  # y > 0: below the line on screen -> positive
        ((5, -5), -1),  # above the line on screen -> negative
        ((5, 0), 0),  # on the line
        ((20, 0), 0),  # on the line's extension
        ((-3, 7), 1),
    ],
)
def test_side_of_line_sign_convention(point: tuple[float, float], expected_sign: int) -> None:
    start, end = pts((0, 0))[0], pts((10, 0))[0]
    value = side_of_line(pts(point), start, end)
    assert value.dtype == np.float32
    assert np.sign(value).tolist() == [expected_sign]
    # Reversing the line's direction flips the side.
    assert np.sign(side_of_line(pts(point), end, start)).tolist() == [-expected_sign]


def test_side_of_line_value_is_twice_the_signed_triangle_area() -> None:
    start, end = pts((0, 0))[0], pts((10, 0))[0]
    assert side_of_line(pts((3, 4), (3, -2)), start, end).tolist() == [40.0, -20.0]
    # A vertical line drawn downwards (0,0)->(0,10): x < 0 is positive, x > 0 negative.
    down = pts((0, 10))[0]
    assert side_of_line(pts((-1, 5), (1, 5)), start, down).tolist() == [10.0, -10.0]


@pytest.mark.parametrize(
    ("p1", "p2", "q1", "q2", "expected"),
    [
        ((0, 0), (10, 10), (0, 10), (10, 0), True),  # proper X crossing
        ((0, 5), (10, 5), (5, 0), (5, 10), True),  # perpendicular crossing
        ((0, 0), (10, 0), (0, 5), (10, 5), False),  # parallel
        ((0, 0), (10, 10), (1, 0), (11, 10), False),  # parallel diagonals
        ((0, 0), (5, 5), (5, 5), (10, 0), True),  # touching at a shared endpoint
        ((5, 0), (5, 5), (0, 5), (10, 5), True),  # endpoint touching the middle (T)
        ((0, 0), (1, 0), (2, 0), (3, 0), False),  # collinear and disjoint
        ((0, 0), (2, 0), (1, 0), (3, 0), False),  # collinear overlap: moving along, not across
        ((0, 0), (1, 0), (2, -1), (2, 1), False),  # would cross only on the extension
        ((0, 0), (10, 10), (6, 0), (10, 3), False),  # disjoint, not parallel
    ],
)
def test_segments_intersect(
    p1: tuple[float, float],
    p2: tuple[float, float],
    q1: tuple[float, float],
    q2: tuple[float, float],
    expected: bool,
) -> None:
    a, b, c, d = (pts(p)[0] for p in (p1, p2, q1, q2))
    assert segments_intersect(a, b, c, d) is expected
    assert segments_intersect(c, d, a, b) is expected  # symmetric
    assert segments_intersect(b, a, d, c) is expected  # direction does not matter


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ((0, 0, 10, 10), (0, 0, 10, 10), 1.0),  # identical
        ((0, 0, 10, 10), (20, 20, 30, 30), 0.0),  # disjoint
        ((0, 0, 10, 10), (10, 0, 20, 10), 0.0),  # touching edges
        ((0, 0, 10, 10), (5, 0, 15, 10), 50 / 150),  # half of each overlaps: 1/3
        ((0, 0, 10, 10), (0, 0, 5, 10), 0.5),  # contains a half-size box
        ((0, 0, 10, 10), (5, 5, 15, 15), 25 / 175),  # quarter-overlapping corners
        ((0, 0, 0, 0), (0, 0, 0, 0), 0.0),  # degenerate boxes: 0, not NaN
    ],
)
def test_box_iou_pairs(a: tuple[float, ...], b: tuple[float, ...], expected: float) -> None:
    box_a = np.array([a], np.float32)
    box_b = np.array([b], np.float32)
    iou = box_iou(box_a, box_b)
    assert iou.shape == (1, 1)
    assert iou.dtype == np.float32
    assert iou[0, 0] == pytest.approx(expected, abs=1e-6)
    assert box_iou(box_b, box_a)[0, 0] == pytest.approx(expected, abs=1e-6)


def test_box_iou_is_pairwise_matrix() -> None:
    a = np.array([[0, 0, 10, 10], [20, 20, 30, 30]], np.float32)
    b = np.array([[5, 0, 15, 10], [0, 0, 10, 10], [20, 20, 30, 30]], np.float32)
    np.testing.assert_allclose(box_iou(a, b), [[1 / 3, 1.0, 0.0], [0.0, 0.0, 1.0]], atol=1e-6)


@pytest.mark.parametrize(("n", "m"), [(0, 3), (2, 0), (0, 0)])
def test_box_iou_empty_inputs(n: int, m: int) -> None:
    a = np.zeros((n, 4), np.float32)
    b = np.zeros((m, 4), np.float32)
    assert box_iou(a, b).shape == (n, m)


@pytest.mark.parametrize(
    ("points", "width", "height", "expected"),
    [
        ([[0.0, 0.0], [1.0, 1.0]], 640, 480, [[0, 0], [640, 480]]),
        ([[0.5, 0.25]], 200, 100, [[100, 25]]),
        ([[0.1, 0.9], [0.75, 0.5]], 1920, 1080, [[192, 972], [1440, 540]]),
        ([0.5, 0.5], 100, 50, [[50, 25]]),  # a flat pair becomes one point
    ],
)
def test_to_pixels(points: list, width: int, height: int, expected: list[list[float]]) -> None:
    result = to_pixels(points, width, height)
    assert result.dtype == np.float32
    assert result.shape == (len(expected), 2)
    np.testing.assert_allclose(result, expected, atol=1e-3)
