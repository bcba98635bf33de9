"""Kernel presets against OpenCV's builders and textbook tables, at every size
they support, and the maps they make through Keras's own convolution."""

import cv2
import numpy as np
import pytest

from cnn_core.errors import SpecError
from cnn_core.images import load_sample
from cnn_core.kernels import (
    BANK,
    LUMINANCE,
    PRESETS,
    WEIGHTS,
    bank_kernels,
    channel_weights,
    check_choice,
    choice_filters,
    choice_sizes,
    filter_labels,
    fit_kernel_size,
    format_weights,
    gabor_parameters,
    kernel_stack,
    layer_weights,
    parse_grid,
    parse_weights,
    preset_kernel,
    resize_grid,
    size_note,
)
from cnn_core.model import load_keras

ODD = range(3, 32, 2)
RNG = np.random.default_rng(7)
IMAGE = RNG.uniform(0, 255, (40, 40)).astype(np.float32)


def conv_map(image, kernel2d):
    """Keras's valid convolution of a 2-D image with a 2-D kernel."""
    keras = load_keras()
    x = image[None, :, :, None].astype(np.float32)
    w = np.asarray(kernel2d, np.float32)[:, :, None, None]
    return np.asarray(keras.ops.conv(x, w, strides=1, padding="valid"))[0, :, :, 0]


def crop(full, k):
    """The part of a same-size OpenCV result that a valid k x k convolution covers."""
    out = full.shape[0] - k + 1
    start = k // 2
    return full[start : start + out, start : start + out]


def test_presets_are_listed_in_the_issue_order():
    assert [preset.label for preset in PRESETS.values()] == [
        "Identity",
        "Box blur",
        "Gaussian blur",
        "Sharpen",
        "Sobel x",
        "Sobel y",
        "Prewitt x",
        "Prewitt y",
        "Laplacian",
        "Emboss",
        "Gabor",
    ]
    assert list(WEIGHTS) == ["random", *PRESETS, "bank", "custom", "learned"]
    assert WEIGHTS["random"] == "Random (Glorot uniform)"


@pytest.mark.parametrize("k", range(1, 32, 2))
def test_identity_map_is_the_cropped_input(k):
    kernel = preset_kernel("identity", k)
    assert kernel.sum() == 1 and kernel[k // 2, k // 2] == 1
    np.testing.assert_allclose(conv_map(IMAGE, kernel), crop(IMAGE, k), atol=1e-4)


@pytest.mark.parametrize("k", range(1, 32))
def test_box_blur_map_is_cv2_blur_cropped(k):
    kernel = preset_kernel("box", k)
    np.testing.assert_allclose(kernel, np.full((k, k), 1 / k**2), rtol=1e-6)
    expected = crop(cv2.blur(IMAGE, (k, k)), k)
    np.testing.assert_allclose(conv_map(IMAGE, kernel), expected, rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("k", ODD)
def test_gaussian_is_opencvs_and_blurs_like_gaussianblur(k):
    g = cv2.getGaussianKernel(k, -1, ktype=cv2.CV_64F)
    kernel = preset_kernel("gaussian", k)
    np.testing.assert_allclose(kernel, g @ g.T, rtol=1e-6)
    assert kernel.sum() == pytest.approx(1, abs=1e-5)
    expected = crop(cv2.GaussianBlur(IMAGE.astype(np.float64), (k, k), 0), k)
    np.testing.assert_allclose(conv_map(IMAGE, kernel), expected, rtol=1e-4, atol=1e-2)


@pytest.mark.parametrize("k", ODD)
@pytest.mark.parametrize(("name", "dx", "dy"), [("sobel_x", 1, 0), ("sobel_y", 0, 1)])
def test_sobel_is_opencvs_normalized_derivative(name, dx, dy, k):
    kx, ky = cv2.getDerivKernels(dx, dy, k, normalize=True, ktype=cv2.CV_64F)
    kernel = preset_kernel(name, k)
    np.testing.assert_allclose(kernel, ky @ kx.T, rtol=1e-6, atol=1e-12)
    # cv2.Sobel uses the unnormalized kernel; normalize=True divides by 2**(2k - 3).
    expected = crop(cv2.Sobel(IMAGE.astype(np.float64), cv2.CV_64F, dx, dy, ksize=k), k)
    expected = expected / 2.0 ** (2 * k - 3)
    got = conv_map(IMAGE, kernel)
    np.testing.assert_allclose(got, expected, rtol=1e-3, atol=1e-3 * np.abs(expected).max())


def test_sobel_3x3_is_the_textbook_table_over_8():
    textbook = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    np.testing.assert_array_equal(preset_kernel("sobel_x", 3) * 8, textbook)
    np.testing.assert_array_equal(preset_kernel("sobel_y", 3) * 8, textbook.T)


@pytest.mark.parametrize("k", ODD)
def test_sobel_x_is_zero_where_brightness_does_not_change_along_x(k):
    rows = np.repeat(RNG.uniform(0, 255, (40, 1)), 40, axis=1).astype(np.float32)
    assert np.abs(conv_map(rows, preset_kernel("sobel_x", k))).max() < 1e-3
    assert np.abs(conv_map(rows.T.copy(), preset_kernel("sobel_y", k))).max() < 1e-3
    assert np.abs(conv_map(rows, preset_kernel("sobel_y", k))).max() > 1


@pytest.mark.parametrize("k", ODD)
def test_laplacian_is_opencvs_laplacian(k):
    kernel = preset_kernel("laplacian", k)
    assert kernel.sum() == pytest.approx(0, abs=1e-6)
    expected = crop(cv2.Laplacian(IMAGE.astype(np.float64), cv2.CV_64F, ksize=k), k)
    expected = expected / 2.0 ** (2 * k - 4)
    got = conv_map(IMAGE, kernel)
    np.testing.assert_allclose(got, expected, rtol=1e-3, atol=1e-3 * np.abs(expected).max())


@pytest.mark.parametrize("k", ODD)
def test_gabor_is_opencvs_with_zero_mean(k):
    built = cv2.getGaborKernel(**gabor_parameters(k), ktype=cv2.CV_64F)
    kernel = preset_kernel("gabor", k)
    np.testing.assert_allclose(kernel, built - built.mean(), rtol=1e-5, atol=1e-6)
    flat = np.full((40, 40), 100, np.float32)
    assert np.abs(conv_map(flat, kernel)).max() < 1e-2


@pytest.mark.parametrize(
    ("name", "table"),
    [
        ("sharpen", [[0, -1, 0], [-1, 5, -1], [0, -1, 0]]),
        ("prewitt_x", np.array([[-1, 0, 1]] * 3) / 6),
        ("prewitt_y", np.array([[-1, 0, 1]] * 3).T / 6),
        ("emboss", [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]]),
    ],
)
def test_textbook_tables_at_their_one_size(name, table):
    assert PRESETS[name].sizes == (3,)
    np.testing.assert_allclose(preset_kernel(name, 3), table, rtol=1e-6)
    expected = cv2.filter2D(IMAGE.astype(np.float64), -1, np.asarray(table, np.float64))
    np.testing.assert_allclose(
        conv_map(IMAGE, preset_kernel(name, 3)), crop(expected, 3), atol=1e-2
    )


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_exists_exactly_at_its_sizes(name):
    for k in range(1, 32):
        if k in PRESETS[name].sizes:
            assert preset_kernel(name, k).shape == (k, k)
        else:
            with pytest.raises(SpecError, match=f"kernel_size={k}"):
                preset_kernel(name, k)


def test_the_bank_is_one_filter_per_preset_at_3x3():
    kernels, labels = bank_kernels(3)
    assert kernels.shape == (3, 3, len(PRESETS)) and choice_filters("bank") == 11
    for i, name in enumerate(BANK):
        np.testing.assert_array_equal(kernels[:, :, i], preset_kernel(name, 3))
    assert labels[4] == "Sobel x"
    assert filter_labels("bank", 11)[4] == "filter 5: Sobel x"
    assert choice_sizes("bank") == (3,)
    with pytest.raises(SpecError, match="classic bank"):
        bank_kernels(5)


def test_a_constrained_preset_moves_the_kernel_size_and_says_so():
    assert fit_kernel_size(choice_sizes("sharpen"), 15) == 3
    assert fit_kernel_size(choice_sizes("sobel_x"), 4) == 5
    assert fit_kernel_size(choice_sizes("identity"), 31) == 31
    assert fit_kernel_size(choice_sizes("gaussian"), 1) == 3
    assert fit_kernel_size(choice_sizes("box"), 4) == 4
    assert size_note("sobel_x", 4, 5) == (
        "Sobel x exists at a kernel size that is odd, 3-31, so Kernel size moved from 4 to 5."
    )
    assert size_note("bank", 15, 3).startswith("Classic bank exists at a kernel size of 3 only")


def test_custom_grid_errors_name_row_and_column():
    assert parse_grid([[1, "2.5"], ["-3", "0.125"]]).tolist() == [[1.0, 2.5], [-3.0, 0.125]]
    with pytest.raises(SpecError, match=r"'abc' in row 2, column 1"):
        parse_grid([["1", "2"], ["abc", "4"]])
    with pytest.raises(SpecError, match=r"nothing in row 1, column 2"):
        parse_grid([["1", None], ["3", "4"]])
    with pytest.raises(SpecError, match=r"nothing in row 2, column 2"):
        parse_grid([[1.0, 2.0], [3.0, float("nan")]])
    with pytest.raises(SpecError, match=r"'inf' in row 1, column 1"):
        parse_grid([["inf", "0"], ["0", "0"]])
    with pytest.raises(SpecError, match="square"):
        parse_grid([["1", "2"]])


def test_w_parses_and_round_trips():
    values = parse_weights("0,-1,0,-1,5,-1,0,-1,0", 3)
    assert values == (0.0, -1.0, 0.0, -1.0, 5.0, -1.0, 0.0, -1.0, 0.0)
    odd = tuple(float(np.float32(v)) for v in RNG.normal(size=25))
    assert parse_weights(format_weights(odd), 5) == odd
    with pytest.raises(SpecError, match=r"9 comma-separated numbers\. Received: 4"):
        parse_weights("1,2,3,4", 3)
    with pytest.raises(SpecError, match=r"'x' at position 2 \(row 1, column 2\)"):
        parse_weights("1,x,3,4", 2)
    with pytest.raises(SpecError, match="not a square"):
        parse_weights("1,2,3")
    with pytest.raises(SpecError):
        parse_weights("1,nan,3,4", 2)


def test_resize_grid_keeps_the_centre():
    grid = preset_kernel("sharpen", 3)
    assert resize_grid(grid, 5)[1:4, 1:4].tolist() == grid.tolist()
    assert resize_grid(resize_grid(grid, 5), 3).tolist() == grid.tolist()


def test_check_choice_refuses_what_does_not_fit():
    check_choice("random", 15, 8)
    check_choice("sobel_x", 5, 1, bias=2.5)
    check_choice("custom", 2, 1, custom=(1.0, 0.0, 0.0, -1.0))
    with pytest.raises(SpecError, match="kernel_size=4"):
        check_choice("sobel_x", 4, 1)
    with pytest.raises(SpecError, match="filters=11"):
        check_choice("bank", 3, 1)
    with pytest.raises(SpecError, match=r"4 custom weights\. Received: 3"):
        check_choice("custom", 2, 1, custom=(1.0, 0.0, 0.0))
    with pytest.raises(SpecError, match="bias"):
        check_choice("sobel_x", 3, 1, bias=float("inf"))
    with pytest.raises(SpecError, match="weights to be one of"):
        check_choice("blur", 3, 1)


def test_rgb_map_equals_grayscale_map_of_the_same_kernel():
    keras = load_keras()
    rgb = load_sample("Astronaut")[:64, :64].astype(np.float32)
    gray = rgb @ np.array(LUMINANCE, np.float32)
    kernels = kernel_stack("bank", 3)
    kernel_rgb, bias = layer_weights(kernels, 3, bias=1.5, color_input=True)
    kernel_gray, _ = layer_weights(kernels, 1, bias=1.5)
    got_rgb = np.asarray(keras.ops.conv(rgb[None], kernel_rgb, padding="valid"))[0] + bias
    got_gray = np.asarray(keras.ops.conv(gray[None, :, :, None], kernel_gray, padding="valid"))[0]
    np.testing.assert_allclose(got_rgb, got_gray + bias, rtol=1e-5, atol=1e-3)


def test_many_channels_share_a_kernel_one_cth_each():
    keras = load_keras()
    x = RNG.normal(size=(1, 20, 20, 6)).astype(np.float32)
    kernel, _ = layer_weights(kernel_stack("sobel_x", 5), 6)
    assert np.allclose(kernel.sum(axis=2), preset_kernel("sobel_x", 5)[:, :, None])
    assert channel_weights(6).tolist() == [np.float32(1 / 6)] * 6
    got = np.asarray(keras.ops.conv(x, kernel, padding="valid"))[0, :, :, 0]
    np.testing.assert_allclose(
        got, conv_map(x[0].mean(axis=2), preset_kernel("sobel_x", 5)), atol=1e-4
    )
    with pytest.raises(ValueError, match="3 channels"):
        channel_weights(4, color_input=True)
