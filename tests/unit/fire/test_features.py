"""Fire features: colour cues on synthetic images and the backbone embedding."""

from __future__ import annotations

import numpy as np

from cctwin.analytics.fire.features import (
    CELL_DIM,
    CLASSICAL_NAMES,
    EMBED_GRID,
    EMBEDDING_DIM,
    TILE_GRID,
    TILES,
    BackboneEmbedder,
    cell_flame_fraction,
    classical_features,
    extract_features,
    smoke_score,
)


def _grey() -> np.ndarray:
    return np.full((240, 320, 3), 128, dtype=np.uint8)


def _orange_blob() -> np.ndarray:
    image = _grey()
    image[60:180, 100:220] = (20, 140, 255)  # BGR saturated orange
    return image


def test_orange_blob_raises_flame_fraction() -> None:
    flame = CLASSICAL_NAMES.index("flame_fraction")
    hot = CLASSICAL_NAMES.index("hot_fraction")
    grey, orange = classical_features(_grey()), classical_features(_orange_blob())
    assert grey[flame] == 0.0
    assert orange[flame] > 0.15
    assert orange[hot] > grey[hot]


def test_grey_image_is_more_smoke_like_than_orange() -> None:
    assert smoke_score(_grey()) > smoke_score(_orange_blob())


def test_embedding_dimension_and_determinism() -> None:
    embedder = BackboneEmbedder()
    first = embedder.embed(_orange_blob())
    second = embedder.embed(_orange_blob())
    assert first.shape == (EMBEDDING_DIM,)
    assert first.dtype == np.float32
    np.testing.assert_array_equal(first, second)


def test_extract_features_gives_global_vector_and_cells() -> None:
    features = extract_features(_orange_blob(), BackboneEmbedder())
    assert features.global_vector.shape == (len(CLASSICAL_NAMES) + EMBEDDING_DIM,)
    assert features.cells.shape == (features.rows * features.cols, CELL_DIM)
    assert (features.rows, features.cols) == (EMBED_GRID, EMBED_GRID) == (10, 10)
    assert features.tile_cells is None  # the tiled pass costs four more backbone runs


def test_tiled_pass_gives_a_twice_finer_grid_that_finds_the_blob() -> None:
    tiled = extract_features(_orange_blob(), BackboneEmbedder(), tiles=True).tile_cells
    assert tiled is not None
    assert tiled.shape == (TILE_GRID * TILE_GRID, CELL_DIM) == (400, 1280)
    fraction = cell_flame_fraction(_orange_blob(), TILE_GRID, TILE_GRID, TILES * 320)
    assert fraction.shape == (TILE_GRID, TILE_GRID)
    assert fraction[TILE_GRID // 2, TILE_GRID // 2] > 0.9
    assert fraction[0, 0] == 0.0
    # The four tiles are stitched in place: the blob's cells differ from the grey corners.
    grid = tiled.reshape(TILE_GRID, TILE_GRID, CELL_DIM)
    assert not np.allclose(grid[TILE_GRID // 2, TILE_GRID // 2], grid[0, 0])


def test_cell_flame_fraction_marks_the_blob_cells_only() -> None:
    fraction = cell_flame_fraction(_orange_blob(), 13, 13)
    assert fraction.shape == (13, 13)
    assert fraction[6, 6] > 0.9  # the blob covers the image centre
    assert fraction[0, 0] == 0.0
    assert fraction[12, 12] == 0.0
