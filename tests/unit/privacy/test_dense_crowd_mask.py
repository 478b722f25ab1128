"""Dense crowds masked from the density model's cells, only where a crowd is."""

from __future__ import annotations

import numpy as np

from cctwin.privacy.masker import Masker, MaskSettings
from cctwin.privacy.regions import CrowdArea, coverage_mask, dense_rects


def test_dense_cells_become_rectangles_in_image_pixels() -> None:
    density = np.zeros((10, 20), np.float32)
    density[4:6, 8:12] = 0.2  # a packed patch; smoothed and grown by a cell it covers 3-13 x 3-7
    rects = dense_rects(density, width=200, height=100, cell_density=0.05)
    mask = coverage_mask(rects, 200, 100)
    assert mask[50, 100]  # the patch itself
    assert mask[35, 75]  # the cell grown around it
    assert not mask[5, 5]  # the empty rest of the image
    assert not mask[95, 195]
    assert 0.05 < mask.mean() < 0.3
    assert len(dense_rects(np.zeros((10, 20), np.float32), 200, 100, 0.05)) == 0


class _Dense:
    """A stand-in density model that says the whole left half is packed."""

    def __init__(self) -> None:
        self.calls = 0

    def count(self, image: object, max_side: int = 1024) -> object:
        self.calls += 1
        density = np.zeros((12, 16), np.float32)
        density[:, :8] = 0.5
        return type("Result", (), {"density_map": density})()


def _masker(min_people: int) -> tuple[Masker, _Dense]:
    settings = MaskSettings(faces=False, crowd=CrowdArea(min_people=min_people))
    masker = Masker(settings)
    model = _Dense()
    masker._density = model  # type: ignore[assignment]
    return masker, model


def test_the_density_model_runs_only_on_crowded_frames() -> None:
    image = np.zeros((96, 128, 3), np.uint8)
    people = np.array([[100, 10, 110, 60]] * 3, np.float32)
    masker, model = _masker(min_people=10)
    few = coverage_mask(masker.regions(image, people=people), 128, 96)
    assert model.calls == 0
    assert not few[:, :60].any()  # only the three heads, on the right
    masker, model = _masker(min_people=3)
    crowded = coverage_mask(masker.regions(image, people=people), 128, 96)
    assert model.calls == 1
    assert crowded[:, :60].all()  # the packed half is masked whole


def test_a_camera_reuses_its_dense_cells_for_a_while() -> None:
    image = np.zeros((96, 128, 3), np.uint8)
    people = np.array([[100, 10, 110, 60]] * 3, np.float32)
    masker, model = _masker(min_people=3)
    first = masker.regions(image, people=people, crowd_key="cam-1")
    again = masker.regions(image, people=people, crowd_key="cam-1")
    assert model.calls == 1
    assert np.array_equal(first, again)
    masker.regions(image, people=people, crowd_key="cam-2")
    masker.regions(image, people=people)  # no camera: nothing to reuse
    assert model.calls == 3
