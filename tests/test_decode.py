"""Upload decoding: the awkward-image corpus, header-first size checks, fuzzing."""

from __future__ import annotations

import contextlib
import io
import struct
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
from awkward_images import bomb_png, build_corpus, png_bytes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFile

from cnn_core import decode
from cnn_core.decode import (
    ACCEPTED_FORMATS,
    ACCEPTED_TYPES,
    MAX_FILE_BYTES,
    MAX_PIXELS,
    MIN_SIDE,
    DecodedImage,
    decode_image,
    decode_upload,
    describe_limits,
)
from cnn_core.errors import ConvlabError, ImageError

CORPUS = build_corpus()
ACCEPTED = sorted(name for name, case in CORPUS.items() if case.ok)
REFUSED = sorted(name for name, case in CORPUS.items() if not case.ok)


@pytest.mark.parametrize("name", ACCEPTED)
def test_accepted_file_decodes_to_canonical_form(name):
    case = CORPUS[name]
    decoded = decode_upload(case.data)
    assert isinstance(decoded, DecodedImage)
    image = decoded.image
    assert image.dtype == np.uint8
    assert image.shape == case.shape
    assert image.flags["C_CONTIGUOUS"]
    if case.match:
        assert any(case.match in str(warning) for warning in decoded.warnings), decoded.warnings
    else:
        assert decoded.warnings == ()
    for (row, col), expected, tolerance in case.pixels:
        difference = np.abs(image[row, col].astype(int) - np.asarray(expected)).max()
        assert difference <= tolerance, (row, col, image[row, col], expected)
    np.testing.assert_array_equal(decode_image(case.data), image)


@pytest.mark.parametrize("name", REFUSED)
def test_refused_file_gets_a_specific_message(name):
    case = CORPUS[name]
    with pytest.raises(ImageError) as caught:
        decode_upload(case.data)
    message = str(caught.value)
    assert case.match in message
    assert len(message) < 600
    with pytest.raises(ImageError):
        decode_image(case.data)


def test_every_accepted_format_is_in_the_corpus():
    formats = {decode_upload(CORPUS[name].data).format for name in ACCEPTED}
    assert formats == {"PNG", "JPEG", "BMP", "TIFF", "WebP", "GIF"}
    assert set(ACCEPTED_FORMATS) == {"PNG", "JPEG", "BMP", "TIFF", "WEBP", "GIF"}


def test_accepted_types_cover_every_extension_of_the_accepted_formats():
    assert set(ACCEPTED_TYPES) == {"png", "jpg", "jpeg", "bmp", "tif", "tiff", "webp", "gif"}
    extensions = Image.registered_extensions()
    for extension in ACCEPTED_TYPES:
        assert extensions[f".{extension}"] in ACCEPTED_FORMATS


def test_exif_portrait_is_upright():
    decoded = decode_upload(CORPUS["jpeg_exif_portrait"].data)
    height, width = decoded.image.shape[:2]
    assert height > width
    assert any("EXIF orientation" in str(note) for note in decoded.notes)


def test_bytes_like_inputs_are_accepted():
    data = CORPUS["png_rgb"].data
    expected = decode_image(data)
    np.testing.assert_array_equal(decode_image(bytearray(data)), expected)
    np.testing.assert_array_equal(decode_image(memoryview(data)), expected)


@pytest.mark.parametrize("value", [None, "cat.png", 3, np.zeros(3, np.uint8)])
def test_non_bytes_is_a_type_error(value):
    with pytest.raises(TypeError, match="Expected the file's contents as bytes"):
        decode_upload(value)


def test_file_over_the_byte_cap_is_refused_before_parsing(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("Image.open must not run for an oversized file")

    monkeypatch.setattr(Image, "open", fail)
    data = b"\x89PNG\r\n\x1a\n" + bytes(MAX_FILE_BYTES)
    with pytest.raises(ImageError, match=f"up to {MAX_FILE_BYTES // (1024 * 1024)} MB"):
        decode_upload(data)


@pytest.mark.parametrize(
    "name",
    [
        "png_claims_7000x7000",
        "png_claims_10000x10000",
        "png_claims_15000x15000",
        "png_bomb_20000x20000",
        "jpeg_claims_8000x8000",
        "gif_claims_9000x9000",
        "tiff_claims_10000x5000",
    ],
)
def test_oversized_header_is_refused_without_decoding(name, monkeypatch):
    def no_load(self, *args, **kwargs):
        raise AssertionError("pixels must not be decoded for an oversized header")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_load)
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ImageError, match="megapixels") as caught:
            decode_upload(CORPUS[name].data)
    assert time.perf_counter() - started < 1.0
    assert f"at most {MAX_PIXELS // 1_000_000} megapixels" in str(caught.value)


def test_bomb_file_is_small_but_claims_a_huge_image():
    data = CORPUS["png_bomb_20000x20000"].data
    assert len(data) < 500_000
    assert data[12:16] == b"IHDR"
    assert struct.unpack(">II", data[16:24]) == (20000, 20000)


def test_bomb_is_refused_however_pillow_limit_is_set(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)
    with pytest.raises(ImageError, match="20000x20000"):
        decode_upload(bomb_png(20000))


def test_just_under_the_pixel_cap_is_allowed_past_the_header_check(monkeypatch):
    # A header-only PNG of exactly MAX_PIXELS passes the size check and then fails
    # to decode as truncated: the limit is inclusive and checked before loading.
    side_a, side_b = 8000, MAX_PIXELS // 8000
    with pytest.raises(ImageError, match="damaged or incomplete"):
        decode_upload(png_bytes(side_a, side_b, b"x\x9c\x03\x00\x00\x00\x00\x01"))


def test_truncated_file_is_refused_even_if_lenient_mode_was_switched_on():
    previous = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = True
    try:
        with pytest.raises(ImageError, match="damaged or incomplete"):
            decode_upload(CORPUS["png_truncated"].data)
        with pytest.raises(ImageError, match="damaged or incomplete"):
            decode_upload(CORPUS["jpeg_truncated"].data)
        assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = previous


def test_other_pillow_formats_never_reach_a_decoder(monkeypatch):
    opened = []
    real_open = Image.open

    def spy(fp, mode="r", formats=None):
        opened.append(formats)
        return real_open(fp, mode, formats)

    monkeypatch.setattr(Image, "open", spy)
    for name in ("tga_named_png", "pcx_named_png", "png_rgb"):
        with contextlib.suppress(ImageError):
            decode_upload(CORPUS[name].data)
    assert opened and all(sorted(formats) == sorted(ACCEPTED_FORMATS) for formats in opened)


def test_16_bit_uses_the_full_range():
    array = np.array([[0, 128, 257, 32896, 65535] * 2] * 8, dtype=np.uint16)
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, "PNG")
    decoded = decode_upload(buffer.getvalue())
    assert decoded.image[0, :5].tolist() == [0, 0, 1, 128, 255]
    assert any("divided by 257" in str(note) for note in decoded.notes)


def test_float_image_with_no_finite_values_is_refused():
    buffer = io.BytesIO()
    Image.fromarray(np.full((8, 8), np.nan, np.float32)).save(buffer, "TIFF")
    with pytest.raises(ImageError, match="no finite values"):
        decode_upload(buffer.getvalue())


def test_min_side_is_inclusive():
    for width, height, ok in ((MIN_SIDE, 100, True), (MIN_SIDE - 1, 100, False)):
        buffer = io.BytesIO()
        Image.new("L", (width, height)).save(buffer, "PNG")
        if ok:
            assert decode_image(buffer.getvalue()).shape == (height, width)
        else:
            with pytest.raises(ImageError, match=f"at least {MIN_SIDE} pixels"):
                decode_image(buffer.getvalue())


def test_describe_limits_states_the_numbers():
    text = "\n".join(describe_limits())
    assert f"{MAX_PIXELS // 1_000_000} megapixels" in text
    assert f"at least {MIN_SIDE} pixels" in text
    assert f"{MAX_FILE_BYTES // (1024 * 1024)} MB" in text
    for name in ("PNG", "JPEG", "BMP", "TIFF", "WebP", "GIF", "SVG"):
        assert name in text


def test_engine_modules_do_not_import_streamlit():
    code = (
        "import sys, cnn_core.decode, cnn_core.fetch; "
        "assert 'streamlit' not in sys.modules, 'streamlit imported'"
    )
    root = Path(decode.__file__).resolve().parent.parent
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)


# ----------------------------------------------------------------------------- fuzzing

_SEEDS = [
    CORPUS[name].data
    for name in (
        "png_rgb",
        "jpeg_rgb",
        "gif_static",
        "bmp_rgb",
        "tiff_rgb",
        "webp_lossless",
        "png_16bit_gray",
    )
]


@st.composite
def _mangled(draw):
    data = bytearray(draw(st.sampled_from(_SEEDS)))
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(data) - 1))
        data[at] = draw(st.integers(0, 255))
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return bytes(data)


@pytest.mark.filterwarnings(r"ignore::UserWarning:PIL\..*")
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mangled())
def test_mangled_files_decode_or_raise_image_error_only(data):
    try:
        decoded = decode_upload(data)
    except ConvlabError as exc:
        assert isinstance(exc, ImageError)
        return
    assert decoded.image.dtype == np.uint8
    assert decoded.image.ndim in (2, 3)
    assert min(decoded.image.shape[:2]) >= MIN_SIDE
    assert decoded.image.shape[0] * decoded.image.shape[1] <= MAX_PIXELS
