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

from cnn_core.errors import CallError, ImageError
from cnn_core.i18n import Message

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

_ACCEPTED_TEXT = Message.of("images.formats")
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
_SAVE_AS = Message.of("images.advice.save_as")


def _refused(name, advice="save_as"):
    """The sniffing result for a refused format: its name and what to do, as messages."""
    return Message.of(f"images.sniff.{name}"), False, Message.of(f"images.advice.{advice}")


@dataclass(frozen=True)
class DecodedImage:
    """An upload decoded to the canonical form, with what was done to it.

    Attributes
    ----------
    image : ndarray of uint8, shape (H, W) or (H, W, 3)
        Grayscale or RGB pixels, upright.
    warnings : tuple of Message
        Things the student should know, e.g. that an elongated image will be
        squeezed by the square resize, or that only the first GIF frame is used.
    format : str
        The file's format as students know it: "PNG", "JPEG", "BMP", "TIFF",
        "WebP" or "GIF".
    notes : tuple of Message
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


def describe_limits(lang="en"):
    """Human-readable lines describing what uploads are accepted.

    Parameters
    ----------
    lang : str
        The language of the lines.

    Returns
    -------
    list of str
        One sentence per limit, for the UI and the README.

    Examples
    --------
    >>> describe_limits()[0]
    'Formats: PNG, JPEG, BMP, TIFF, WebP or GIF (first frame only).'
    """
    key = "images.limits."
    messages = [
        Message.of(key + "formats", formats=_ACCEPTED_TEXT),
        Message.of(key + "file_size", megabytes=MAX_FILE_BYTES // (1024 * 1024)),
        Message.of(key + "pixels", megapixels=MAX_PIXELS // 1_000_000),
        Message.of(key + "side", side=MIN_SIDE),
        Message.of(key + "aspect", ratio=MAX_ASPECT_RATIO),
        Message.of(key + "refused"),
        Message.of(key + "conversions"),
    ]
    return [message.render(lang) for message in messages]


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
            return _refused("avif")
        if brand in (b"heic", b"heix", b"hevc", b"heim", b"heis", b"hevm", b"hevs", b"mif1"):
            return _refused("heic", "heic")
        return _refused("mp4", "still")
    if _starts(data, b"\x00\x00\x00\x0cjP  \r\n\x87\n", b"\xff\x4f\xff\x51"):
        return _refused("jp2")
    if _starts(data, b"\xff\x0a", b"\x00\x00\x00\x0cJXL \r\n\x87\n"):
        return _refused("jxl")
    if data.startswith(b"8BPS"):
        return _refused("psd", "psd")
    if _starts(data, b"\x00\x00\x01\x00", b"\x00\x00\x02\x00") and data[4:6] != b"\x00\x00":
        return _refused("ico")
    if data.startswith(b"qoif"):
        return _refused("qoi")
    if data.startswith(b"v/1\x01"):
        return _refused("exr")
    if data.startswith(b"\x1f\x8b"):
        return _refused("gzip", "gzip")
    if data.startswith(b"PK\x03\x04"):
        return _refused("zip", "zip")
    if data.startswith(b"RIFF"):
        return _refused("riff", "still")
    if len(data) > 2 and data[:1] == b"P" and data[1:2] in b"1234567" and data[2:3].isspace():
        return _refused("netpbm")
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
        return _refused("pdf", "pdf")
    if text.startswith("%!ps"):
        return _refused("ps", "ps")
    if text.startswith("<svg") or (
        text.startswith(("<?xml", "<!--", "<!doctype svg")) and "<svg" in text
    ):
        return _refused("svg", "svg")
    if text.startswith(("<!doctype html", "<html", "<head", "<body")) or "<html" in text:
        return _refused("html", "html")
    if text.startswith("<"):
        return _refused("xml")
    printable = sum(ch.isprintable() or ch in "\t\r\n" for ch in text)
    if printable >= 0.95 * len(text):
        return _refused("text", "choose_image")
    return None


def _sniff(data):
    return _sniff_binary(data) or _sniff_text(data)


# --------------------------------------------------------------------------- messages


def _megapixels(pixels):
    return f"{pixels / 1_000_000:.1f}".rstrip("0").rstrip(".")


def _too_many_pixels(width=None, height=None, pixels=None):
    if width is not None:
        pixels = width * height
        claimed = Message.of(
            "errors.image.claimed_size",
            width=width,
            height=height,
            megapixels=_megapixels(pixels),
        )
    elif pixels is not None:
        claimed = Message.of("errors.image.claimed_pixels", megapixels=_megapixels(pixels))
    else:
        claimed = Message.of("errors.image.claimed_unknown")
    return ImageError(
        "errors.image.too_many_pixels", claimed=claimed, limit=MAX_PIXELS // 1_000_000
    )


def _damaged(label, exc):
    """``label`` is a format name ("PNG") or None; ``exc`` an exception or a Message."""
    if isinstance(exc, Message):
        detail = exc
    else:
        detail = " ".join(str(exc).split())[:160] or type(exc).__name__
    if label is None:
        return ImageError("errors.image.damaged_unknown", detail=detail)
    return ImageError("errors.image.damaged", label=label, detail=detail)


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
        notes.append(Message.of("images.note.one_bit"))
        return np.asarray(image.convert("L"), dtype=np.uint8), notes, warns
    if mode in ("LA", "La"):
        notes.append(Message.of("images.note.transparent"))
        gray = _composite_on_white(image.convert("LA")).convert("L")
        return np.asarray(gray, dtype=np.uint8), notes, warns
    if mode == "P" and "transparency" not in image.info:
        notes.append(Message.of("images.note.palette"))
        return np.asarray(image.convert("RGB"), dtype=np.uint8), notes, warns
    if mode in ("P", "PA", "RGBA", "RGBa"):
        if mode in ("P", "PA"):
            notes.append(Message.of("images.note.palette"))
        notes.append(Message.of("images.note.transparent"))
        return np.asarray(_composite_on_white(image), dtype=np.uint8), notes, warns
    if mode in ("RGBX", "CMYK", "YCbCr", "LAB", "HSV"):
        if mode != "RGBX":
            notes.append(Message.of("images.note.colors", mode=mode))
        return np.asarray(image.convert("RGB"), dtype=np.uint8), notes, warns
    if mode.startswith("I;16") or mode == "I":
        values = np.asarray(image)
        low, high = int(values.min()), int(values.max())
        if mode == "I" and (low < 0 or high > 65535):
            notes.append(Message.of("images.note.int32", low=low, high=high))
            return _to_uint8(values.astype(np.float32), low, high), notes, warns
        notes.append(Message.of("images.note.sixteen_bit"))
        if high < 4096:
            warns.append(
                Message.of("images.warning.dark_16bit", high=high, brightest=round(high / 257))
            )
        return _from_16bit(values), notes, warns
    if mode == "F":
        values = np.array(image, dtype=np.float32)
        finite = np.isfinite(values)
        if not finite.any():
            raise ImageError("errors.image.no_finite")
        if not finite.all():
            warns.append(Message.of("images.warning.not_finite", count=int((~finite).sum())))
        low, high = float(values[finite].min()), float(values[finite].max())
        values[~finite] = low
        if low >= 0.0 and high <= 1.0:
            notes.append(Message.of("images.note.float_01"))
            return _to_uint8(values, 0.0, 1.0), notes, warns
        notes.append(Message.of("images.note.float_range", low=low, high=high))
        return _to_uint8(values, low, high), notes, warns
    try:
        converted = image.convert("RGB")
    except (ValueError, OSError) as exc:
        raise ImageError("errors.image.mode", mode=mode, detail=str(exc), advice=_SAVE_AS) from None
    notes.append(Message.of("images.note.mode", mode=mode))
    return np.asarray(converted, dtype=np.uint8), notes, warns


# --------------------------------------------------------------------------- decoding


def _open_header(data, sniffed):
    """``Image.open`` restricted to the accepted formats, errors as ImageError."""
    from PIL import Image, UnidentifiedImageError

    label = sniffed[0] if sniffed else None
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
            raise _damaged(label, Message.of("images.detail.header")) from None
        raise ImageError(
            "errors.image.not_accepted", formats=_ACCEPTED_TEXT, advice=_SAVE_AS
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
        raise CallError("errors.call.bytes", kind=type(data).__name__)
    data = bytes(data)
    if not data:
        raise ImageError("errors.image.empty", formats=_ACCEPTED_TEXT)
    if len(data) > MAX_FILE_BYTES:
        raise ImageError(
            "errors.image.file_too_large",
            megabytes=len(data) / (1024 * 1024),
            limit=MAX_FILE_BYTES // (1024 * 1024),
        )
    sniffed = _sniff(data)
    if sniffed and not sniffed[1]:
        label, _, advice = sniffed
        raise ImageError("errors.image.refused", label=label, advice=advice, formats=_ACCEPTED_TEXT)

    from PIL import Image, ImageFile, ImageOps

    # Truncated data must be refused, never padded with grey. Nothing in convlab
    # wants the lenient mode, so a stray global change is undone here.
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        ImageFile.LOAD_TRUNCATED_IMAGES = False

    warns = []
    image = _open_header(data, sniffed)
    with image:
        label = _FORMAT_LABELS.get(image.format, image.format)
        width, height = image.size
        if width * height > MAX_PIXELS:
            raise _too_many_pixels(width, height)
        if min(width, height) < MIN_SIDE:
            raise ImageError("errors.image.too_small", width=width, height=height, side=MIN_SIDE)
        try:
            if getattr(image, "is_animated", False):
                kind = "pages" if label == "TIFF" else "frames"
                warns.append(Message.of(f"images.warning.{kind}", label=label))
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
                notes.append(Message.of("images.note.exif", orientation=orientation))
        except Exception:  # malformed EXIF only loses the rotation
            warns.append(Message.of("images.warning.exif"))
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
        wide = "wide" if width > height else "tall"
        warns.append(Message.of(f"images.warning.{wide}", width=width, height=height, ratio=ratio))
    return DecodedImage(
        image=np.ascontiguousarray(array),
        warnings=tuple(warns),
        format=label or "",
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
