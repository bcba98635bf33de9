import numpy as np
import pytest

from cnn_core.errors import ImageError
from cnn_core.images import (
    SAMPLES,
    image_digest,
    load_sample,
    prepare_input,
    preprocessing_steps,
    to_color_mode,
)
from cnn_core.spec import PipelineSpec


@pytest.mark.parametrize("label", list(SAMPLES))
def test_every_sample_is_exactly_scikit_images(label):
    from skimage import data

    image = load_sample(label)
    assert image.dtype == np.uint8
    assert image.ndim in (2, 3)
    np.testing.assert_array_equal(image, getattr(data, SAMPLES[label])())


def test_unknown_sample_is_refused():
    with pytest.raises(ImageError, match="Expected one of the samples"):
        load_sample("Dog")


def test_cat_preprocessing_follows_the_seed():
    import cv2

    cat = load_sample("Cat (chelsea)")
    assert cat.shape == (300, 451, 3)
    prepared = prepare_input(cat, PipelineSpec())
    gray = cv2.cvtColor(cat, cv2.COLOR_RGB2GRAY)
    expected = cv2.resize(gray, (512, 512), interpolation=cv2.INTER_AREA)
    np.testing.assert_array_equal(prepared.batch[0, :, :, 0], expected.astype(np.float32))
    assert prepared.steps[:4] == (
        "original image: (300, 451, 3)",
        "grayscale: (300, 451)",
        "resize to 512x512 with INTER_AREA: (512, 512)",
        "reshape to a batch of one: (1, 512, 512, 1)",
    )


def test_rgb_and_scaling():
    prepared = prepare_input(
        load_sample("Coffee"), PipelineSpec(color_mode="rgb", scale_01=True, input_size=20)
    )
    assert prepared.batch.shape == (1, 20, 20, 3)
    assert prepared.batch.min() >= 0.0 and prepared.batch.max() <= 1.0
    assert "scaled to 0-1" in prepared.steps[-1]


def test_grayscale_image_as_rgb_repeats_the_channel():
    gray = np.arange(12, dtype=np.uint8).reshape(3, 4)
    rgb = to_color_mode(gray, "rgb")
    assert rgb.shape == (3, 4, 3)
    assert (rgb[..., 0] == rgb[..., 2]).all()
    assert preprocessing_steps((3, 4), PipelineSpec(color_mode="rgb"))[1] == "RGB: (3, 4, 3)"


def test_bad_shape_is_refused():
    with pytest.raises(ImageError, match="Expected an image of shape"):
        to_color_mode(np.zeros((4, 4, 4), np.uint8), "grayscale")


def test_digest_depends_on_pixels_and_shape():
    a = np.zeros((2, 3), np.uint8)
    assert image_digest(a) != image_digest(a.reshape(3, 2))
    assert image_digest(a) != image_digest(a + 1)
