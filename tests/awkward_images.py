"""A corpus of awkward image files, generated in memory (nothing is committed).

Each :class:`Case` is a file a student might upload, with what
:func:`cnn_core.decode.decode_upload` should do with it: accept it (with the
expected shape, and any warning) or refuse it (with a phrase of the message).

Run ``python tests/awkward_images.py DIRECTORY`` to write the files out, e.g.
to try them by hand in the app's uploader.
"""

from __future__ import annotations

import functools
import gzip
import io
import struct
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

__all__ = ["Case", "bomb_png", "build_corpus", "png_bytes", "write_corpus"]


@dataclass(frozen=True)
class Case:
    """One file and the expected outcome.

    Attributes
    ----------
    name : str
        Also the file name when written out (with ``extension``).
    data : bytes
    ok : bool
        True if the decoder should accept it.
    shape : tuple or None
        Expected decoded shape when accepted.
    match : str
        When refused: a phrase of the error message. When accepted: a phrase
        of one of the warnings, or "" if there should be no warning.
    extension : str
        The extension a student's file would have.
    pixels : tuple
        ``((row, col), expected value, tolerance)`` checks on the decoded array.
    """

    name: str
    data: bytes
    ok: bool
    shape: tuple | None = None
    match: str = ""
    extension: str = "bin"
    pixels: tuple = ()


def _save(image, fmt, **options):
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _gradient(width, height, channels=3):
    """A deterministic uint8 test pattern."""
    y, x = np.mgrid[0:height, 0:width]
    planes = [(x * 255 // max(width - 1, 1)), (y * 255 // max(height - 1, 1)), ((x + y) % 256)]
    array = np.stack(planes[:channels], axis=-1).astype(np.uint8)
    return array[..., 0] if channels == 1 else array


def _chunk(kind, payload):
    body = kind + payload
    return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))


def png_bytes(width, height, idat, bit_depth=8, color_type=0):
    """A PNG file from an already compressed IDAT payload (nothing is checked)."""
    header = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", idat)
        + _chunk(b"IEND", b"")
    )


def bomb_png(side=20000):
    """A *valid* 1-bit ``side`` x ``side`` black PNG: tens of kB claiming side**2 pixels."""
    row = b"\x00" * (1 + (side + 7) // 8)
    compressor = zlib.compressobj(9)
    parts = [compressor.compress(row) for _ in range(side)]
    parts.append(compressor.flush())
    return png_bytes(side, side, b"".join(parts), bit_depth=1, color_type=0)


def _header_only_png(width, height):
    """A PNG whose header claims ``width`` x ``height`` with a tiny (short) IDAT."""
    return png_bytes(width, height, zlib.compress(b"\x00" * 64))


def _jpeg_claiming(width, height):
    """A small real JPEG with its SOF0 size fields patched to ``width`` x ``height``."""
    data = bytearray(_save(Image.fromarray(_gradient(16, 16)), "JPEG", quality=90))
    at = data.index(b"\xff\xc0")
    data[at + 5 : at + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def _gif_claiming(width, height):
    """A small GIF whose logical screen claims ``width`` x ``height``."""
    data = bytearray(_save(Image.new("P", (16, 16)), "GIF"))
    data[6:10] = struct.pack("<HH", width, height)
    return bytes(data)


def _tiff_claiming(width, height):
    """A small uncompressed TIFF whose width/height tags are patched."""
    data = bytearray(_save(Image.fromarray(_gradient(16, 16, 1)), "TIFF"))
    (offset,) = struct.unpack("<I", data[4:8])
    (count,) = struct.unpack("<H", data[offset : offset + 2])
    for index in range(count):
        entry = offset + 2 + 12 * index
        tag, kind = struct.unpack("<HH", data[entry : entry + 4])
        if tag in (256, 257):
            value = width if tag == 256 else height
            fmt = "<HHI" + ("H2x" if kind == 3 else "I")
            data[entry : entry + 12] = struct.pack(fmt, tag, kind, 1, value)
    return bytes(data)


def _exif_rotated_jpeg():
    """A JPEG stored 40 wide x 24 tall, red top-left block, EXIF orientation 6.

    Orientation 6 means "rotate 90 degrees clockwise to display", so the upright
    image is 24 wide x 40 tall with the red block at the top right.
    """
    array = np.zeros((24, 40, 3), np.uint8)
    array[...] = (0, 0, 255)
    array[:8, :8] = (255, 0, 0)
    exif = Image.Exif()
    exif[0x0112] = 6
    return _save(Image.fromarray(array), "JPEG", quality=95, exif=exif.tobytes())


def _animated(fmt, **options):
    frames = [Image.new("RGB", (16, 16), color) for color in ((255, 0, 0), (0, 255, 0))]
    if fmt == "GIF":
        frames = [frame.convert("P") for frame in frames]
    return _save(frames[0], fmt, save_all=True, append_images=frames[1:], **options)


def _corrupt_png():
    """A PNG with 16 random bytes written over the start of its compressed data."""
    data = bytearray(_save(Image.fromarray(_gradient(64, 64)), "PNG"))
    at = data.index(b"IDAT") + 4 + 10
    data[at : at + 16] = np.random.default_rng(1).integers(0, 256, 16, dtype=np.uint8).tobytes()
    return bytes(data)


def _cut(data, fraction):
    return data[: int(len(data) * fraction)]


def _accepted_cases():
    rgb = Image.fromarray(_gradient(32, 24))
    gray = Image.fromarray(_gradient(32, 24, 1))

    rgba = np.zeros((24, 32, 4), np.uint8)
    rgba[..., 0] = 255  # red, fully transparent everywhere ...
    rgba[0, 1] = (0, 0, 0, 128)  # ... but one half-transparent black pixel
    rgba[0, 2] = (0, 0, 255, 255)  # and one opaque blue one
    la = np.zeros((24, 32, 2), np.uint8)
    la[0, 1] = (0, 255)

    palette = rgb.convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    transparent_palette = Image.new("P", (32, 24), 0)
    transparent_palette.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    transparent_palette.putpixel((1, 0), 1)

    wide16 = (np.arange(24 * 32).reshape(24, 32) * 85).astype(np.uint16)
    wide16[0, 0], wide16[0, 1], wide16[0, 2] = 65535, 257 * 100, 0
    dark16 = (np.arange(24 * 32).reshape(24, 32)).astype(np.uint16)
    dark16[0, 0] = 1000

    float01 = np.full((24, 32), 0.5, np.float32)
    float01[0, 0], float01[0, 1] = 0.0, 1.0
    float_range = np.linspace(-3.0, 7.0, 24 * 32, dtype=np.float32).reshape(24, 32)
    float_nan = float01.copy()
    float_nan[5, 5] = np.nan
    int32 = (np.arange(24 * 32, dtype=np.int32).reshape(24, 32) - 400) * 1000

    pages = [Image.fromarray(_gradient(32, 24)), Image.new("RGB", (32, 24), (0, 255, 0))]

    def case(name, data, shape, match="", extension="png", pixels=()):
        return Case(name, data, True, shape, match, extension, pixels)

    return [
        case("png_rgb", _save(rgb, "PNG"), (24, 32, 3)),
        case("png_gray", _save(gray, "PNG"), (24, 32)),
        case(
            "png_rgba_on_white",
            _save(Image.fromarray(rgba, "RGBA"), "PNG"),
            (24, 32, 3),
            pixels=(((0, 0), (255, 255, 255), 0), ((0, 1), (127, 127, 127), 1)),
        ),
        case(
            "png_la_on_white",
            _save(Image.fromarray(la, "LA"), "PNG"),
            (24, 32),
            pixels=(((0, 0), 255, 0), ((0, 1), 0, 0)),
        ),
        case("png_palette", _save(palette, "PNG"), (24, 32, 3)),
        case(
            "png_palette_transparent",
            _save(transparent_palette, "PNG", transparency=0),
            (24, 32, 3),
            pixels=(((0, 0), (255, 255, 255), 0), ((0, 1), (255, 0, 0), 0)),
        ),
        case(
            "png_16bit_gray",
            _save(Image.fromarray(wide16), "PNG"),
            (24, 32),
            pixels=(((0, 0), 255, 0), ((0, 1), 100, 0), ((0, 2), 0, 0)),
        ),
        case(
            "png_16bit_dark",
            _save(Image.fromarray(dark16), "PNG"),
            (24, 32),
            match="only uses values up to 1000",
            pixels=(((0, 0), 4, 0),),
        ),
        case("png_1bit", _save(gray.convert("1"), "PNG"), (24, 32)),
        case("jpeg_rgb", _save(rgb, "JPEG"), (24, 32, 3), extension="jpg"),
        case("jpeg_gray", _save(gray, "JPEG"), (24, 32), extension="jpg"),
        case("jpeg_cmyk", _save(rgb.convert("CMYK"), "JPEG"), (24, 32, 3), extension="jpg"),
        case(
            "jpeg_exif_portrait",
            _exif_rotated_jpeg(),
            (40, 24, 3),
            extension="jpg",
            pixels=(((2, 21), (255, 0, 0), 40), ((2, 2), (0, 0, 255), 40)),
        ),
        case("bmp_rgb", _save(rgb, "BMP"), (24, 32, 3), extension="bmp"),
        case("bmp_1bit", _save(gray.convert("1"), "BMP"), (24, 32), extension="bmp"),
        case("tiff_rgb", _save(rgb, "TIFF"), (24, 32, 3), extension="tif"),
        case(
            "tiff_rgba_lzw",
            _save(rgb.convert("RGBA"), "TIFF", compression="tiff_lzw"),
            (24, 32, 3),
            extension="tiff",
        ),
        case(
            "tiff_16bit_gray",
            _save(Image.fromarray(wide16), "TIFF"),
            (24, 32),
            extension="tif",
            pixels=(((0, 0), 255, 0), ((0, 1), 100, 0)),
        ),
        case(
            "tiff_float_0_1",
            _save(Image.fromarray(float01), "TIFF"),
            (24, 32),
            extension="tif",
            pixels=(((0, 0), 0, 0), ((0, 1), 255, 0), ((3, 3), 128, 0)),
        ),
        case(
            "tiff_float_range",
            _save(Image.fromarray(float_range), "TIFF"),
            (24, 32),
            extension="tif",
            pixels=(((0, 0), 0, 0), ((23, 31), 255, 0)),
        ),
        case(
            "tiff_float_nan",
            _save(Image.fromarray(float_nan), "TIFF"),
            (24, 32),
            match="NaN or infinite",
            extension="tif",
            pixels=(((5, 5), 0, 0),),
        ),
        case(
            "tiff_int32_signed",
            _save(Image.fromarray(int32), "TIFF"),
            (24, 32),
            extension="tif",
            pixels=(((0, 0), 0, 0), ((23, 31), 255, 0)),
        ),
        case("tiff_cmyk", _save(rgb.convert("CMYK"), "TIFF"), (24, 32, 3), extension="tif"),
        case(
            "tiff_two_pages",
            _save(pages[0], "TIFF", save_all=True, append_images=pages[1:]),
            (24, 32, 3),
            match="only the first is used",
            extension="tif",
        ),
        case("webp_lossless", _save(rgb, "WEBP", lossless=True), (24, 32, 3), extension="webp"),
        case(
            "webp_rgba_on_white",
            _save(Image.fromarray(rgba, "RGBA"), "WEBP", lossless=True),
            (24, 32, 3),
            extension="webp",
            pixels=(((0, 0), (255, 255, 255), 0), ((0, 2), (0, 0, 255), 0)),
        ),
        case(
            "webp_animated",
            _animated("WEBP", lossless=True),
            (16, 16, 3),
            match="only the first is used",
            extension="webp",
            pixels=(((8, 8), (255, 0, 0), 0),),
        ),
        case("gif_static", _save(palette, "GIF"), (24, 32, 3), extension="gif"),
        case(
            "gif_animated",
            _animated("GIF", duration=100),
            (16, 16, 3),
            match="only the first is used",
            extension="gif",
            pixels=(((8, 8), (255, 0, 0), 0),),
        ),
        case(
            "png_tall_strip_8x400",
            _save(Image.fromarray(_gradient(8, 400)), "PNG"),
            (400, 8, 3),
            match="50.0 times taller than wide",
        ),
        case(
            "png_wide_41x10",
            _save(Image.fromarray(_gradient(41, 10)), "PNG"),
            (10, 41, 3),
            match="4.1 times wider than tall",
        ),
        case(
            "png_exactly_4_to_1",
            _save(Image.fromarray(_gradient(40, 10)), "PNG"),
            (10, 40, 3),
        ),
        case("png_min_side_8x8", _save(Image.fromarray(_gradient(8, 8)), "PNG"), (8, 8, 3)),
    ]


def _refused_cases():
    rgb = Image.fromarray(_gradient(32, 24))
    png = _save(Image.fromarray(_gradient(64, 64)), "PNG")
    jpeg = _save(Image.fromarray(_gradient(64, 64)), "JPEG", quality=90)
    gif = _save(Image.fromarray(_gradient(64, 64)).convert("P"), "GIF")
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect/></svg>'
    rng = np.random.default_rng(0)

    def case(name, data, match, extension="png"):
        return Case(name, data, False, None, match, extension)

    return [
        case("empty", b"", "empty"),
        case("text_named_png", b"Hello, this is a note.\nNot a picture.\n", "text file"),
        case("html_named_jpg", b"<!DOCTYPE html><html><body>cat</body></html>", "web page", "jpg"),
        case("svg", svg, "SVG", "svg"),
        case(
            "svg_with_bom_and_prolog",
            b'\xef\xbb\xbf<?xml version="1.0"?>\n<!-- drawn by hand -->\n' + svg,
            "SVG",
            "png",
        ),
        case("xml", b'<?xml version="1.0"?><note>hi</note>', "XML"),
        case("pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "PDF", "pdf"),
        case("heic", b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64), "HEIC"),
        case("avif", b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1" + bytes(64), "AVIF"),
        case("zip", b"PK\x03\x04" + bytes(64), "ZIP", "zip"),
        case("svgz", gzip.compress(svg), "gzip", "svgz"),
        case("ppm_not_accepted", _save(rgb, "PPM"), "Netpbm", "ppm"),
        case("ico_not_accepted", _save(rgb, "ICO"), "icon", "ico"),
        case("tga_named_png", _save(rgb, "TGA"), "not a PNG, JPEG", "png"),
        case("pcx_named_png", _save(rgb, "PCX"), "not a PNG, JPEG", "png"),
        case("random_bytes", rng.integers(0, 256, 4096, dtype=np.uint8).tobytes(), "not a PNG"),
        case("png_truncated", _cut(png, 0.6), "damaged or incomplete"),
        case("png_signature_only", png[:8], "damaged or incomplete"),
        case("png_no_idat", png[:33], "damaged or incomplete"),
        case("png_corrupt_idat", _corrupt_png(), "damaged or incomplete"),
        case("jpeg_truncated", _cut(jpeg, 0.5), "damaged or incomplete", "jpg"),
        case("gif_truncated", _cut(gif, 0.5), "damaged or incomplete", "gif"),
        case("bmp_header_only", _save(rgb, "BMP")[:60], "damaged or incomplete", "bmp"),
        case("one_pixel", _save(Image.new("RGB", (1, 1)), "PNG"), "at least 8 pixels"),
        case("strip_3x400", _save(Image.fromarray(_gradient(3, 400)), "PNG"), "at least 8 pixels"),
        case("png_7x7", _save(Image.fromarray(_gradient(7, 7)), "PNG"), "at least 8 pixels"),
        case("png_claims_7000x7000", _header_only_png(7000, 7000), "7000x7000"),
        case("png_claims_10000x10000", _header_only_png(10000, 10000), "10000x10000"),
        case("png_claims_15000x15000", _header_only_png(15000, 15000), "225 megapixels"),
        case("png_bomb_20000x20000", bomb_png(20000), "400 megapixels"),
        case("jpeg_claims_8000x8000", _jpeg_claiming(8000, 8000), "8000x8000", "jpg"),
        case("gif_claims_9000x9000", _gif_claiming(9000, 9000), "9000x9000", "gif"),
        case("tiff_claims_10000x5000", _tiff_claiming(10000, 5000), "10000x5000", "tif"),
    ]


@functools.cache
def build_corpus():
    """Every case, by name.

    Returns
    -------
    dict of str to Case

    Examples
    --------
    >>> corpus = build_corpus()
    >>> corpus["png_rgb"].ok, corpus["svg"].ok
    (True, False)
    """
    cases = _accepted_cases() + _refused_cases()
    corpus = {case.name: case for case in cases}
    if len(corpus) != len(cases):
        raise ValueError("Expected unique case names. Received: duplicates")
    return corpus


def write_corpus(directory):
    """Write every case to ``directory`` as ``<name>.<extension>``; return the paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for case in build_corpus().values():
        path = directory / f"{case.name}.{case.extension}"
        path.write_bytes(case.data)
        paths.append(path)
    return paths


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python tests/awkward_images.py DIRECTORY")
    for written in write_corpus(sys.argv[1]):
        print(written)
