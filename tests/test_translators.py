"""The translators on real UCM aerial images."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from fusionrs_hf.data.land_cover import land_cover_masks
from fusionrs_hf.data.translators import get_translator

# freeways (class 9: images 801-900) and golf courses (901-1000) show roads, grass and trees together
IMAGE_IDS = [805, 812, 833, 850, 905, 920, 940, 960]


@pytest.fixture(scope="module")
def ucm_images(data_root):
    return [np.asarray(Image.open(data_root / "ucm_captions" / "images" / f"{i}.jpg").convert("RGB")) for i in IMAGE_IDS]


def test_default_translator_contract(ucm_images):
    translator = get_translator()
    assert translator.id == "thermal-heuristic@1.0"
    odd = ucm_images[0][:101, :77]
    outputs = translator.translate(ucm_images[:3] + [odd])
    for image, ir in zip(ucm_images[:3] + [odd], outputs):
        assert ir.dtype == np.uint8 and ir.shape == image.shape[:2]
    # deterministic, and a batch gives what single images give
    again = [translator.translate([image])[0] for image in ucm_images[:3]]
    for a, b in zip(outputs, again):
        np.testing.assert_array_equal(a, b)


def test_default_view_is_not_a_grey_copy(ucm_images):
    heuristic = get_translator().translate(ucm_images)
    luminance = get_translator("luminance").translate(ucm_images)
    correlations = [np.corrcoef(h.ravel(), l.ravel())[0, 1] for h, l in zip(heuristic, luminance)]
    # solar absorption inverts much of the visible brightness order
    assert np.mean(correlations) < 0.3, correlations


def test_land_covers_separate_as_in_daytime_infrared(ucm_images):
    """Vegetation reads darker than paved surfaces in the IR view (and not in luminance)."""
    heuristic = get_translator().translate(ucm_images)
    gaps = []
    for image, ir in zip(ucm_images, heuristic):
        masks = {k: v[0] for k, v in land_cover_masks(image[None]).items()}
        vegetation, pavement = masks["vegetation"] > 0.5, masks["pavement"] > 0.5
        if vegetation.mean() > 0.02 and pavement.mean() > 0.02:
            gaps.append(ir[pavement].mean() - ir[vegetation].mean())
    assert len(gaps) >= 4
    assert np.mean(gaps) > 20, gaps


def test_unknown_translator_names_the_choices():
    with pytest.raises(ValueError, match="thermal-heuristic"):
        get_translator("no-such-translator")
    with pytest.raises(ValueError, match="nor a loadable FusionRSTranslator"):
        get_translator("some-org/some-model")  # offline here: not on disk, not downloadable


def test_translator_rejects_wrong_input():
    with pytest.raises(ValueError, match="HxWx3 uint8"):
        get_translator().translate([np.zeros((8, 8), dtype=np.uint8)])
