"""Decode uploaded image bytes into the engine's canonical 8-bit form.

Every upload (and every image fetched from a URL, see :mod:`cnn_core.fetch`)
goes through :func:`decode_upload`, which either returns an 8-bit grayscale
``(H, W)`` or RGB ``(H, W, 3)`` array or raises :class:`~cnn_core.errors.ImageError`
with a message that says what was wrong and what to do.

The order of the checks is what keeps the server safe:

1. the byte count is checked (:data:`MAX_FILE_BYTES`) before anything is parsed;
2. the first bytes are sniffed, so SVG, HTML, PDF, HEIC and other files we do
   not decode are refused by name;
3. Pillow reads only the header (``Image.open`` is lazy), restricted to
   :data:`ACCEPTED_FORMATS`, and the claimed size is checked against
   :data:`MAX_PIXELS` and :data:`MIN_SIDE` *before* any pixel is decoded, so a
   small file claiming 20000x20000 pixels costs no memory;
4. only then is the whole image decoded with ``.load()``, with Pillow's
   ``LOAD_TRUNCATED_IMAGES`` off, so truncated or corrupt data is refused
   instead of being padded with grey.

Conversions to the canonical form, in one place:

* EXIF orientation is applied, so a phone portrait stays upright;
* transparency is composited on white;
* palette, 1-bit, CMYK, YCbCr and LAB images are converted to RGB or grayscale;
* 16-bit images are rescaled by the full 16-bit range (value / 257), whatever
  range the data actually uses; a warning says so when the result is very dark;
* 32-bit float images whose values lie in [0, 1] are multiplied by 255; other
  float or 32-bit integer images are stretched from their minimum to their
  maximum (they have no natural range).
"""

from __future__ import annotations

import io
import re
import warnings as _warnings
from dataclasses import dataclass

import numpy as np

from cnn_core.errors import ImageError

__all__ = [
    "ACCEPTED_FORMATS",
    "ACCEPTED_TYPES",
    "MAX_ASPECT_RATIO",
    "MAX_FILE_BYTES",
    "MAX_PIXELS",
    "MIN_SIDE",
    "DecodedImage",
    "decode_image",
    "decode_upload",
    "describe_limits",
]

#: Largest image accepted, in pixels (width * height), checked from the header.
MAX_PIXELS = 40_000_000
#: Smallest accepted side, in pixels.
MIN_SIDE = 8
#: Images more elongated than this (long side / short side) are accepted with a warning.
MAX_ASPECT_RATIO = 4.0
#: Largest accepted file, in bytes (uploads and downloads alike).
MAX_FILE_BYTES = 20 * 1024 * 1024
#: File extensions for ``st.file_uploader(type=...)``.
ACCEPTED_TYPES = ("png", "jpg", "jpeg", "bmp", "tif", "tiff", "webp", "gif")
#: Pillow format names passed to ``Image.open(formats=...)``; no other decoder runs.
ACCEPTED_FORMATS = ("PNG", "JPEG", "BMP", "TIFF", "WEBP", "GIF")

_ACCEPTED_TEXT = "PNG, JPEG, BMP, TIFF, WebP or GIF"
# Pillow's format name of an opened image -> the name students know. A JPEG
# carrying several pictures (MPO, from some phones) is opened by the JPEG plugin.
_FORMAT_LABELS = {
    "PNG": "PNG",
    "JPEG": "JPEG",
    "MPO": "JPEG",
    "BMP": "BMP",
    "DIB": "BMP",
    "TIFF": "TIFF",
    "WEBP": "WebP",
    "GIF": "GIF",
}
# Sizes of the BMP info header versions; "BM" alone would match ordinary text.
_BMP_HEADER_SIZES = (12, 16, 40, 52, 56, 64, 108, 124)
_SAVE_AS = "Open it in an image editor and save it as PNG or JPEG, then upload that file."


@dataclass(frozen=True)
class DecodedImage:
    """An upload decoded to the canonical form, with what was done to it.

    Attributes
    ----------
    image : ndarray of uint8, shape (H, W) or (H, W, 3)
        Grayscale or RGB pixels, upright.
    warnings : tuple of str
        Things the student should know, e.g. that an elongated image will be
        squeezed by the square resize, or that only the first GIF frame is used.
    format : str
        The file's format as students know it: "PNG", "JPEG", "BMP", "TIFF",
        "WebP" or "GIF".
    notes : tuple of str
        Conversions applied (EXIF rotation, transparency on white, 16-bit
        rescaling, ...), one line each; empty for a plain 8-bit image.
    source_mode : str
        Pillow's mode of the stored image, e.g. "RGBA", "I;16", "P".
    """

    image: np.ndarray
    warnings: tuple = ()
    format: str = ""
    notes: tuple = ()
    source_mode: str = ""


def describe_limits():
    """Human-readable lines describing what uploads are accepted.

    Returns
    -------
    list of str
        One sentence per limit, for the UI and the README.

    Examples
    --------
    >>> describe_limits()[0]
    'Formats: PNG, JPEG, BMP, TIFF, WebP or GIF (first frame only).'
    """
    return [
        f"Formats: {_ACCEPTED_TEXT} (first frame only).",
        f"File size: at most {MAX_FILE_BYTES // (1024 * 1024)} MB.",
        f"Image size: at most {MAX_PIXELS // 1_000_000} megapixels "
        "(checked from the file header, before decoding).",
        f"Each side at least {MIN_SIDE} pixels.",
        f"Images more than {MAX_ASPECT_RATIO:g} times wider than tall (or taller than wide) "
        "are accepted with a warning: the resize to a square distorts them.",
        "SVG, HTML, PDF, HEIC, AVIF and other formats are refused; "
        "truncated or corrupt files are refused, not padded.",
        "Transparency is filled with white, EXIF rotation is applied, "
        "16-bit images are divided by 257 to give 0-255.",
    ]


# --------------------------------------------------------------------------- sniffing


def _starts(data, *prefixes):
    return any(data.startswith(prefix) for prefix in prefixes)


def _sniff_binary(data):
    """Return (label, accepted, advice) for recognised magic bytes, or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG", True, ""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG", True, ""
    if _starts(data, b"GIF87a", b"GIF89a"):
        return "GIF", True, ""
    if data.startswith(b"BM") and int.from_bytes(data[14:18], "little") in _BMP_HEADER_SIZES:
        return "BMP", True, ""
    if _starts(data, b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "TIFF", True, ""
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "WebP", True, ""
    if data[4:8] == b"ftyp":
        brand = data[8:12]
        if brand in (b"avif", b"avis"):
            return "an AVIF image", False, _SAVE_AS
        if brand in (b"heic", b"heix", b"hevc", b"heim", b"heis", b"hevm", b"hevs", b"mif1"):
            return (
                "a HEIC/HEIF photo (the iPhone camera's default format)",
                False,
                "Export it as JPEG first (on the iPhone: Settings > Camera > Formats > "
                "Most Compatible, or share it as JPEG), then upload that file.",
            )
        return "a video or other MP4-family file", False, "Upload a still image instead."
    if _starts(data, b"\x00\x00\x00\x0cjP  \r\n\x87\n", b"\xff\x4f\xff\x51"):
        return "a JPEG 2000 image", False, _SAVE_AS
    if _starts(data, b"\xff\x0a", b"\x00\x00\x00\x0cJXL \r\n\x87\n"):
        return "a JPEG XL image", False, _SAVE_AS
    if data.startswith(b"8BPS"):
        return "a Photoshop (PSD) document", False, "Export it from Photoshop as PNG or JPEG."
    if _starts(data, b"\x00\x00\x01\x00", b"\x00\x00\x02\x00") and data[4:6] != b"\x00\x00":
        return "an icon (ICO/CUR) file", False, _SAVE_AS
    if data.startswith(b"qoif"):
        return "a QOI image", False, _SAVE_AS
    if data.startswith(b"v/1\x01"):
        return "an OpenEXR image", False, _SAVE_AS
    if data.startswith(b"\x1f\x8b"):
        return (
            "a gzip-compressed file (.gz, or a compressed SVG .svgz)",
            False,
            "Uncompress it and, if it is a drawing, export it as PNG.",
        )
    if data.startswith(b"PK\x03\x04"):
        return (
            "a ZIP archive (or a Word/PowerPoint/OpenDocument file)",
            False,
            "Extract the picture from it and upload the picture itself.",
        )
    if data.startswith(b"RIFF"):
        return "a RIFF file (audio or video, not WebP)", False, "Upload a still image instead."
    if len(data) > 2 and data[:1] == b"P" and data[1:2] in b"1234567" and data[2:3].isspace():
        return "a Netpbm (PBM/PGM/PPM) image", False, _SAVE_AS
    return None


def _sniff_text(data):
    """Return (label, accepted, advice) if ``data`` looks like text, or None."""
    head = data[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = head.decode("utf-16", errors="ignore")
    else:
        if b"\x00" in head:
            return None
        text = head.decode("utf-8", errors="ignore")
    text = text.lstrip("\ufeff \t\r\n").lower()
    if not text:
        return None
    if text.startswith("%pdf-"):
        return "a PDF document", False, "Take a screenshot of the page or export it as PNG."
    if text.startswith("%!ps"):
        return "a PostScript/EPS file", False, "Export it as PNG."
    if text.startswith("<svg") or (
        text.startswith(("<?xml", "<!--", "<!doctype svg")) and "<svg" in text
    ):
        return (
            "an SVG drawing (vector graphics, not pixels)",
            False,
            "Export it as PNG first (in Inkscape, Illustrator, or by opening it in a browser "
            "and taking a screenshot), then upload the PNG.",
        )
    if text.startswith(("<!doctype html", "<html", "<head", "<body")) or "<html" in text:
        return (
            "a web page (HTML), not an image",
            False,
            "If you saved it from a browser, right-click the picture itself and choose "
            "'Save image as...', then upload that file.",
        )
    if text.startswith("<"):
        return "an XML document, not an image", False, _SAVE_AS
    printable = sum(ch.isprintable() or ch in "\t\r\n" for ch in text)
    if printable >= 0.95 * len(text):
        return "a text file, not an image", False, "Choose an image file instead."
    return None


def _sniff(data):
    return _sniff_binary(data) or _sniff_text(data)


# --------------------------------------------------------------------------- messages


def _megapixels(pixels):
    return f"{pixels / 1_000_000:.1f}".rstrip("0").rstrip(".")


def _too_many_pixels(width=None, height=None, pixels=None):
    if width is not None:
        pixels = width * height
        claimed = f"{width}x{height} pixels ({_megapixels(pixels)} megapixels)"
    elif pixels is not None:
        claimed = f"{_megapixels(pixels)} megapixels"
    else:
        claimed = "far more pixels than allowed"
    return ImageError(
        f"The image is too large: its header says {claimed}, and convlab accepts at most "
        f"{MAX_PIXELS // 1_000_000} megapixels. It was refused before decoding. "
        "Resize it (for example to 4000x3000 pixels or smaller) and upload it again."
    )


def _damaged(label, exc):
    detail = " ".join(str(exc).split())[:160] or type(exc).__name__
    return ImageError(
        f"This {label} file is damaged or incomplete and could not be decoded ({detail}). "
        "It may have been cut off while downloading or copying: download or export it "
        "again and upload the new file."
    )


# --------------------------------------------------------------------------- conversion


def _composite_on_white(image):
    """RGBA-convertible image -> RGB with transparency filled with white."""
    from PIL import Image

    rgba = image.convert("RGBA")
    background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(background, rgba).convert("RGB")


def _to_uint8(values, low, high):
    """Linearly map ``low..high`` to 0..255 (``values`` float32, modified in place)."""
    if high > low:
        values -= low
        values *= 255.0 / (high - low)
    else:
        values[...] = 0.0 if low <= 0 else 255.0 if low >= 255 else low
    np.rint(values, out=values)
    np.clip(values, 0, 255, out=values)
    return values.astype(np.uint8)


def _from_16bit(array):
    """uint16-range integers -> uint8 by the full 0-65535 range (value / 257)."""
    lut = np.rint(np.arange(65536, dtype=np.float64) / 257.0).astype(np.uint8)
    return lut[np.clip(array, 0, 65535).astype(np.uint16, copy=False)]


def _canonical(image):
    """Convert a loaded Pillow image to (array, notes, warnings)."""
    mode = image.mode
    notes, warns = [], []
    if mode in ("L", "RGB"):
        return np.asarray(image, dtype=np.uint8), notes, warns
    if mode == "1":
        notes.append("1-bit black-and-white converted to 8-bit grayscale (0 and 255).")
        return np.asarray(image.convert("L"), dtype=np.uint8), notes, warns
    if mode in ("LA", "La"):
        notes.append("Transparent areas filled with white.")
        gray = _composite_on_white(image.convert("LA")).convert("L")
        return np.asarray(gray, dtype=np.uint8), notes, warns
    if mode == "P" and "transparency" not in image.info:
        notes.append("Palette (indexed-color) image converted to RGB.")
        return np.asarray(image.convert("RGB"), dtype=np.uint8), notes, warns
    if mode in ("P", "PA", "RGBA", "RGBa"):
        if mode in ("P", "PA"):
            notes.append("Palette (indexed-color) image converted to RGB.")
        notes.append("Transparent areas filled with white.")
        return np.asarray(_composite_on_white(image), dtype=np.uint8), notes, warns
    if mode in ("RGBX", "CMYK", "YCbCr", "LAB", "HSV"):
        if mode != "RGBX":
            notes.append(f"{mode} colors converted to RGB.")
        return np.asarray(image.convert("RGB"), dtype=np.uint8), notes, warns
    if mode.startswith("I;16") or mode == "I":
        values = np.asarray(image)
        low, high = int(values.min()), int(values.max())
        if mode == "I" and (low < 0 or high > 65535):
            notes.append(
                f"32-bit integer values ({low} to {high}) stretched to 0-255 "
                "(minimum -> 0, maximum -> 255)."
            )
            return _to_uint8(values.astype(np.float32), low, high), notes, warns
        notes.append("16-bit values rescaled to 0-255 by the full 16-bit range (divided by 257).")
        if high < 4096:
            warns.append(
                f"This 16-bit image only uses values up to {high} of 65535, so after "
                f"rescaling to 8 bits its brightest pixel is {round(high / 257)} of 255 and it "
                "looks almost black. Stretch its contrast and save it as an 8-bit PNG if "
                "you want to see more."
            )
        return _from_16bit(values), notes, warns
    if mode == "F":
        values = np.array(image, dtype=np.float32)
        finite = np.isfinite(values)
        if not finite.any():
            raise ImageError(
                "This floating-point image contains no finite values (only NaN or infinity), "
                "so there is nothing to show. Check how it was saved and upload another file."
            )
        if not finite.all():
            warns.append(
                f"{int((~finite).sum())} pixels are NaN or infinite; they are shown as black."
            )
        low, high = float(values[finite].min()), float(values[finite].max())
        values[~finite] = low
        if low >= 0.0 and high <= 1.0:
            notes.append("Floating-point values in [0, 1] multiplied by 255.")
            return _to_uint8(values, 0.0, 1.0), notes, warns
        notes.append(
            f"Floating-point values ({low:g} to {high:g}) stretched to 0-255 "
            "(minimum -> 0, maximum -> 255)."
        )
        return _to_uint8(values, low, high), notes, warns
    try:
        converted = image.convert("RGB")
    except (ValueError, OSError) as exc:
        raise ImageError(
            f"This image uses the pixel mode {mode!r}, which convlab cannot convert to RGB "
            f"({exc}). {_SAVE_AS}"
        ) from None
    notes.append(f"Pixel mode {mode} converted to RGB.")
    return np.asarray(converted, dtype=np.uint8), notes, warns


# --------------------------------------------------------------------------- decoding


def _open_header(data, sniffed):
    """``Image.open`` restricted to the accepted formats, errors as ImageError."""
    from PIL import Image, UnidentifiedImageError

    label = sniffed[0] if sniffed else "image"
    try:
        # Pillow warns above MAX_IMAGE_PIXELS (larger than ours, so our own check
        # below refuses those with the image's size in the message) and raises
        # above twice that, inside open(). catch_warnings swaps a process-wide
        # filter list; the window is only the header parse.
        with _warnings.catch_warnings():
            _warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(io.BytesIO(data), formats=list(ACCEPTED_FORMATS))
    except Image.DecompressionBombError as exc:
        match = re.search(r"\((\d+) pixels\)", str(exc))
        raise _too_many_pixels(pixels=int(match.group(1)) if match else None) from None
    except UnidentifiedImageError:
        if sniffed:
            raise _damaged(label, "the header could not be read") from None
        raise ImageError(
            f"This file is not a {_ACCEPTED_TEXT} image, whatever its file name says. {_SAVE_AS}"
        ) from None
    except Exception as exc:  # untrusted input: any parser failure is "damaged"
        raise _damaged(label, exc) from None


def decode_upload(data):
    """Decode an uploaded file into the canonical form, refusing what is unsafe.

    Parameters
    ----------
    data : bytes, bytearray or memoryview
        The file's contents.

    Returns
    -------
    DecodedImage
        The 8-bit grayscale or RGB pixels, upright, with warnings and the
        conversions applied.

    Raises
    ------
    TypeError
        If ``data`` is not bytes-like.
    ImageError
        If the file is empty, larger than :data:`MAX_FILE_BYTES`, not one of the
        accepted formats (SVG, HTML, PDF, HEIC, ... are named), truncated or
        corrupt, claims more than :data:`MAX_PIXELS` pixels in its header, or
        has a side shorter than :data:`MIN_SIDE`.

    Examples
    --------
    >>> from PIL import Image
    >>> buffer = io.BytesIO()
    >>> Image.new("RGBA", (40, 10), (255, 0, 0, 0)).save(buffer, "PNG")
    >>> decoded = decode_upload(buffer.getvalue())
    >>> decoded.image.shape, decoded.format, decoded.image[0, 0].tolist()
    ((10, 40, 3), 'PNG', [255, 255, 255])
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"Expected the file's contents as bytes. Received: {type(data).__name__}")
    data = bytes(data)
    if not data:
        raise ImageError(f"The file is empty (0 bytes). Choose a {_ACCEPTED_TEXT} image.")
    if len(data) > MAX_FILE_BYTES:
        raise ImageError(
            f"The file is {len(data) / (1024 * 1024):.1f} MB; convlab accepts files up to "
            f"{MAX_FILE_BYTES // (1024 * 1024)} MB. Save a smaller version (for example a "
            "JPEG about 2000 pixels wide) and upload that."
        )
    sniffed = _sniff(data)
    if sniffed and not sniffed[1]:
        label, _, advice = sniffed
        raise ImageError(
            f"This file is {label}, which convlab does not decode. {advice} "
            f"Accepted formats: {_ACCEPTED_TEXT}."
        )

    from PIL import Image, ImageFile, ImageOps

    # Truncated data must be refused, never padded with grey. Nothing in convlab
    # wants the lenient mode, so a stray global change is undone here.
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        ImageFile.LOAD_TRUNCATED_IMAGES = False

    warns = []
    image = _open_header(data, sniffed)
    with image:
        label = _FORMAT_LABELS.get(image.format, image.format or "image")
        width, height = image.size
        if width * height > MAX_PIXELS:
            raise _too_many_pixels(width, height)
        if min(width, height) < MIN_SIDE:
            raise ImageError(
                f"The image is {width}x{height} pixels; each side must be at least "
                f"{MIN_SIDE} pixels for a convolution to show anything. "
                "Use a larger image."
            )
        try:
            if getattr(image, "is_animated", False):
                kind = "pages" if label == "TIFF" else "frames"
                warns.append(f"This {label} has several {kind}; only the first is used.")
            image.load()
        except Image.DecompressionBombError as exc:
            raise _too_many_pixels(width, height) from exc
        except Exception as exc:  # untrusted input: any decoder failure
            raise _damaged(label, exc) from None
        source_mode = image.mode
        notes = []
        try:
            orientation = image.getexif().get(0x0112, 1)
            if orientation not in (None, 1):
                ImageOps.exif_transpose(image, in_place=True)
                notes.append(f"Rotated upright using the EXIF orientation tag ({orientation}).")
        except Exception:  # malformed EXIF only loses the rotation
            warns.append("The EXIF orientation could not be read; the image is shown as stored.")
        try:
            array, conversion_notes, conversion_warns = _canonical(image)
        except ImageError:
            raise
        except Exception as exc:  # untrusted input
            raise _damaged(label, exc) from None
    notes.extend(conversion_notes)
    warns.extend(conversion_warns)

    height, width = array.shape[:2]
    ratio = max(width, height) / min(width, height)
    if ratio > MAX_ASPECT_RATIO:
        wide = "wider than tall" if width > height else "taller than wide"
        warns.append(
            f"This image is {width}x{height} pixels, {ratio:.1f} times {wide}. convlab resizes "
            f"every image to a square, which squeezes it {ratio:.1f} times along its long side, "
            "so shapes will look distorted. Crop it closer to a square first if that matters."
        )
    return DecodedImage(
        image=np.ascontiguousarray(array),
        warnings=tuple(warns),
        format=label,
        notes=tuple(notes),
        source_mode=source_mode,
    )


def decode_image(data):
    """Decode image file bytes into an 8-bit RGB or grayscale array.

    A thin wrapper of :func:`decode_upload` that drops the warnings and notes.

    Parameters
    ----------
    data : bytes
        The file's contents.

    Returns
    -------
    ndarray of uint8, shape (H, W) or (H, W, 3)

    Raises
    ------
    ImageError
        If the file is refused; see :func:`decode_upload`.
    """
    return decode_upload(data).image
