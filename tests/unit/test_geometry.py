"""Geometry: point in polygon, lines, boxes, masks, homographies and the Earth (WGS84)."""

import numpy as np
import pytest
import shapely

from cctwin.geometry import (
    PreparedPolygon,
    apply_homography,
    box_iou,
    box_overlap_of_smaller,
    distance_m,
    fit_homography,
    ground_area_m2,
    homography_from_lonlat,
    lonlat_area_m2,
    lonlat_to_metres,
    metres_to_lonlat,
    normalised_homography,
    offset_lonlat,
    pixel_bounds,
    pixel_homography,
    points_in_polygon,
    polygon_area,
    polygon_mask,
    segments_intersect,
    side_of_line,
    to_pixels,
)
from cctwin.geometry.image import _crossings_odd


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


# --- points in polygon against shapely ---------------------------------------------------


def star(rng: np.random.Generator, vertices: int) -> np.ndarray:
    """A random star-shaped polygon: concave wherever a short spoke follows a long one."""
    angles = np.sort(rng.uniform(0, 2 * np.pi, vertices))
    radii = rng.uniform(20, 400, vertices)
    centre = rng.uniform(300, 700, 2)
    return np.c_[centre[0] + radii * np.cos(angles), centre[1] + radii * np.sin(angles)]


@pytest.mark.parametrize("seed", range(20))
def test_points_in_polygon_matches_shapely_and_even_odd_on_random_concave_polygons(
    seed: int,
) -> None:
    rng = np.random.default_rng(seed)
    polygon = star(rng, int(rng.integers(5, 16)))
    points = rng.uniform(0, 1000, (500, 2))
    expected = [shapely.Polygon(polygon).contains(shapely.Point(p)) for p in points]
    assert points_in_polygon(points, polygon).tolist() == expected
    # The even-odd rule the edges fall back on agrees everywhere off the edges too.
    assert _crossings_odd(points, polygon).tolist() == expected
    assert 0 < sum(expected) < len(expected)  # the sample is not trivially one-sided


def test_prepared_polygon_gives_the_same_answer_as_raw_vertices() -> None:
    prepared = PreparedPolygon.of(L_SHAPE)
    points = pts((50, 50), (-5, -5), (45, 45), (15, 15), (95, 50), (30, 45), (45, 30))
    assert prepared.contains(points).tolist() == points_in_polygon(points, L_SHAPE).tolist()
    with pytest.raises(ValueError, match="3 points"):
        PreparedPolygon.of([(0, 0), (1, 1)])


def test_polygon_mask_and_pixel_bounds() -> None:
    square = [(2.0, 1.0), (6.0, 1.0), (6.0, 4.0), (2.0, 4.0)]
    assert pixel_bounds(square, 10, 10) == (2, 1, 6, 4)
    assert pixel_bounds([(-5, -5), (20, -5), (20, 30)], 10, 10) == (0, 0, 10, 10)
    mask = polygon_mask(square, 10, 10)
    assert mask.dtype == np.bool_
    assert mask[2, 3]
    assert not mask[8, 8]
    shifted = polygon_mask(square, 3, 4, origin=(2, 1))
    np.testing.assert_array_equal(shifted, mask[1:4, 2:6])


def test_box_overlap_of_smaller() -> None:
    big = np.array([[0, 0, 10, 10]], np.float32)
    inner = np.array([[2, 2, 4, 4], [8, 8, 12, 12], [20, 20, 30, 30], [5, 5, 5, 5]], np.float32)
    np.testing.assert_allclose(box_overlap_of_smaller(big, inner), [[1.0, 0.25, 0.0, 0.0]])


# --- homographies ------------------------------------------------------------------------

H_TRUE = np.array([[0.02, 0.001, -3.0], [0.0005, 0.05, -10.0], [0.0001, 0.002, 1.0]])
PIXELS = np.array(
    [(10, 20), (600, 30), (620, 400), (15, 420), (300, 200), (150, 350), (450, 100), (500, 300)],
    np.float64,
)


def test_homography_fit_on_exact_correspondences() -> None:
    ground = apply_homography(H_TRUE, PIXELS)
    h = fit_homography(PIXELS, ground)
    assert np.abs(apply_homography(h, PIXELS) - ground).max() < 1e-6
    np.testing.assert_allclose(h, H_TRUE, rtol=1e-6, atol=1e-9)


def test_ransac_fit_ignores_one_mistyped_point() -> None:
    ground = apply_homography(H_TRUE, PIXELS)
    wrong = ground.copy()
    wrong[2] += (4.0, -3.0)  # one calibration point 5 m off
    inliers = np.arange(len(PIXELS)) != 2
    least_squares = fit_homography(PIXELS, wrong)
    robust = fit_homography(PIXELS, wrong, ransac_threshold=0.5)
    error = np.linalg.norm(apply_homography(robust, PIXELS) - ground, axis=1)
    assert error[inliers].max() < 1e-6
    bent = np.linalg.norm(apply_homography(least_squares, PIXELS) - ground, axis=1)
    assert bent[inliers].max() > 0.1  # without RANSAC the one outlier bends the fit


def test_fit_homography_rejects_too_few_or_collinear_points() -> None:
    with pytest.raises(ValueError, match="at least 4"):
        fit_homography(PIXELS[:3], PIXELS[:3])
    line = np.c_[np.arange(6.0), 2 * np.arange(6.0)]
    with pytest.raises(ValueError, match="homography"):
        fit_homography(line, line)


def test_pixel_and_normalised_homographies_are_inverse_rebasings() -> None:
    width, height = 640, 480
    pixel = pixel_homography(H_TRUE, width, height)
    normalised = np.array([[0.25, 0.5], [0.9, 0.1]])
    np.testing.assert_allclose(
        apply_homography(pixel, normalised * [width, height]), apply_homography(H_TRUE, normalised)
    )
    np.testing.assert_allclose(normalised_homography(pixel, width, height), H_TRUE)


# --- the Earth ---------------------------------------------------------------------------

SEOUL = (126.9780, 37.5665)


def test_lonlat_metres_round_trip_over_a_district() -> None:
    rng = np.random.default_rng(1)
    metres = rng.uniform(-5000, 5000, (200, 2))
    lonlat = metres_to_lonlat(metres, SEOUL)
    np.testing.assert_allclose(lonlat_to_metres(lonlat, SEOUL), metres, atol=1e-6)
    np.testing.assert_allclose(metres_to_lonlat(lonlat_to_metres(lonlat, SEOUL), SEOUL), lonlat)


def test_local_metres_keep_geodesic_distances() -> None:
    rng = np.random.default_rng(2)
    a, b = metres_to_lonlat(rng.uniform(-3000, 3000, (2, 2)), SEOUL)
    planar = float(np.linalg.norm(lonlat_to_metres([b], SEOUL) - lonlat_to_metres([a], SEOUL)))
    assert planar == pytest.approx(distance_m(tuple(a), tuple(b)), rel=1e-6)
    # Bearing 90 from the origin is due east in the local plane, at exactly that distance.
    east = offset_lonlat(*SEOUL, 90.0, 1000.0)
    np.testing.assert_allclose(lonlat_to_metres([east], SEOUL), [[1000.0, 0.0]], atol=1e-6)


def test_spherical_approximation_was_within_half_a_percent_of_pyproj() -> None:
    # The equirectangular sphere (R = 6,378,137 m) that calibration and the site used before:
    # over a 3 km district around Seoul it is off by 0.1 % east-west and 0.3 % north-south.
    rng = np.random.default_rng(3)
    metres = rng.uniform(-3000, 3000, (100, 2))
    lonlat = metres_to_lonlat(metres, SEOUL)
    radius = 6_378_137.0
    east = np.radians(lonlat[:, 0] - SEOUL[0]) * radius * np.cos(np.radians(SEOUL[1]))
    north = np.radians(lonlat[:, 1] - SEOUL[1]) * radius
    sphere = np.c_[east, north]
    relative = np.linalg.norm(sphere - metres, axis=1) / np.linalg.norm(metres, axis=1)
    assert relative.max() < 5e-3
    assert relative.max() > 1e-3  # the ellipsoid is not the sphere: the test can tell


def test_area_of_a_known_square_from_lonlat() -> None:
    corners = [(-50.0, -50.0), (50.0, -50.0), (50.0, 50.0), (-50.0, 50.0)]
    lonlat = metres_to_lonlat(corners, SEOUL)
    assert lonlat_area_m2(lonlat) == pytest.approx(10_000.0, rel=1e-6)
    image = [(0.0, 1.0), (1.0, 1.0), (1.0, 0.0), (0.0, 0.0)]
    h = homography_from_lonlat(image, [(float(x), float(y)) for x, y in lonlat])
    assert ground_area_m2([(0, 0), (1, 0), (1, 1), (0, 1)], h) == pytest.approx(10_000, rel=1e-6)
    assert ground_area_m2([(0, 0), (0.5, 0), (0.5, 0.5), (0, 0.5)], h) == pytest.approx(2_500)
    assert polygon_area(corners) == pytest.approx(10_000.0)
