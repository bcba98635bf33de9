"""Plotly figure builders: tile grids of feature maps and kernels.

Figures are sized for the screen, not for the array. A feature map is sent
as a small 8-bit image resampled to display size, under an invisible heatmap
of exact values at every ``step``-th pixel; axes are in true pixel
coordinates, so hovering shows the real value of the pixel under the cursor's
sample.
"""

from __future__ import annotations

import base64
import functools
import io
import math

import cv2
import numpy as np
import plotly.graph_objects as go
from PIL import Image

from cnn_core.color_scale import DIVERGING, colormap_lut, named_colorscale
from cnn_core.display import grid_shape, sample_step, tile_pages, tile_range, to_uint8
from cnn_core.errors import ImageError, SpecError
from cnn_core.i18n import translate
from cnn_core.screen import figure_dict, screen_dict

__all__ = [
    "FrozenFigure",
    "freeze",
    "grid_shape",
    "image_uri",
    "kernel_figure",
    "kernel_sum_note",
    "sample_step",
    "sampling_note",
    "stage_figure",
    "tile_names",
    "tile_pages",
    "tile_range",
    "to_uint8",
]


class FrozenFigure(go.Figure):
    """A finished figure that is never changed again, so its dict is made once,
    in the form the browser redraws cheaply.

    ``st.plotly_chart`` calls ``to_dict()`` on every rerun that draws the
    figure, which deep-copies every trace and converts its arrays to base64:
    about 6 ms for a mosaic of 16 tiles (1 ms for one tile), on every rerun of
    a page that only shows it again; a page of four blocks shows 13. A frozen
    figure returns the dict it made the first time (the same object: callers
    must not change it), made by :func:`cnn_core.screen.screen_dict`: styled
    without a template, so that the second draw Streamlit gives every new
    chart does not recompute it. Show it with ``theme=None``. Its first dict
    comes from :func:`cnn_core.screen.figure_dict`, one walk over the
    figure's own data instead of Plotly's deep copy and typed-array walk
    (4.1 ms instead of 11.4 ms for a 16-tile stage), where that makes the
    same dict.
    """

    def to_dict(self):
        """The figure as :func:`~cnn_core.screen.screen_dict` makes it, on the first call only."""
        made = self.__dict__.get("_frozen_dict")
        if made is None:
            # One walk instead of Plotly's copy and conversion, for a plain
            # figure (not one whose class makes its dict, nor with frames).
            plain = type(self) is FrozenFigure and not self._frame_objs
            made = figure_dict(self._data, self._layout) if plain else None
            if made is None:
                made = super().to_dict()
            made = screen_dict(made, revision=self.__dict__.get("_revision"))
            self._frozen_dict = made
        return made


def freeze(fig, revision=None):
    """Mark a finished figure as never changing again (see :class:`FrozenFigure`).

    Parameters
    ----------
    fig : plotly.graph_objects.Figure
        Changed in place: it becomes a :class:`FrozenFigure` (over its own
        class, so a ``to_dict`` of its own, such as one adding animation
        frames, still makes the dict).
    revision : str, optional
        A digest of everything that decides the figure, when the caller has
        one (a cache key): it becomes ``layout.datarevision`` as it is.
        Otherwise the dict is digested (:func:`cnn_core.screen.screen_dict`),
        which JSON-encodes it, tiles and all: about 2 ms for one tile, 6 ms
        for 16.

    Returns
    -------
    FrozenFigure
        ``fig`` itself.

    Examples
    --------
    >>> fig = freeze(go.Figure(go.Scatter(y=[1, 2])))
    >>> fig.to_dict() is fig.to_dict()
    True
    """
    if not isinstance(fig, go.Figure):
        raise TypeError(type(fig).__name__)  # a programming error: no sentence to translate
    if not isinstance(fig, FrozenFigure):
        fig.__class__ = _frozen_class(type(fig))
    if revision is not None:
        fig._revision = str(revision)
    return fig


@functools.cache
def _frozen_class(kind):
    """FrozenFigure over ``kind``, whose own ``to_dict`` (if any) it then calls once."""
    if kind is go.Figure:
        return FrozenFigure
    return type(f"Frozen{kind.__name__}", (FrozenFigure, kind), {})


#: Black to white, as :func:`to_uint8` maps values to the tiles' gray levels.
_GRAY = [[0.0, "rgb(0, 0, 0)"], [1.0, "rgb(255, 255, 255)"]]

#: Right margin, px, that holds the colorbar and its tick labels. Margins are
#: fixed (``autoexpand`` off): left to expand, plotly.js draws each chart
#: twice, once to find how much room the colorbar wants and once with it.
_COLORBAR_MARGIN = 95

_COLORBAR = {
    "ticklabeloverflow": "allow",  # as on the axes: no measuring of every label
    "thickness": 12,
    "lenmode": "pixels",
    "len": 260,
    "y": 1,
    "yanchor": "top",
}


def _margin(left, top, bottom):
    """Fixed margins (see :data:`_COLORBAR_MARGIN`) with room for the colorbar."""
    return {"l": left, "r": _COLORBAR_MARGIN, "t": top, "b": bottom, "autoexpand": False}


def _colorbar(figure_height, margin, **extra):
    """The colorbar, at most as long as the plot area is high (margins are
    fixed, so a longer one would be cut off at the bottom of the chart)."""
    plot_height = figure_height - margin["t"] - margin["b"]
    return _COLORBAR | {"len": min(_COLORBAR["len"], plot_height)} | extra


def sampling_note(step, lang="en"):
    """Say which pixels the hover values come from.

    Examples
    --------
    >>> sampling_note(1), sampling_note(2), sampling_note(4)
    ('hover shows the exact value of every pixel', \
'hover shows exact values at every 2nd pixel', 'hover shows exact values at every 4th pixel')
    >>> sampling_note(4, "zh")
    '悬停显示的精确值每 4 个像素取一个'
    """
    if step == 1:
        return translate(lang, "figures.sampling.every")
    # English ordinals (2nd, 3rd, 11th) need four texts; other languages may repeat one.
    suffix = "th" if 10 <= step % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(step % 10, "th")
    return translate(lang, f"figures.sampling.nth_{suffix}", step=step)


def tile_names(stage_key, channels, filter_names=None, lang="en"):
    """Tile titles of a stage: the input's channels, or the filters
    (``filter_names`` when the kernel choice names them).

    Examples
    --------
    >>> tile_names("input", 3)
    ['channel 1 (R)', 'channel 2 (G)', 'channel 3 (B)']
    >>> tile_names("conv", 2, lang="zh")
    ['滤波器 1', '滤波器 2']
    """
    if stage_key == "input":
        if channels == 1:
            return [translate(lang, "figures.tile.grayscale")]
        return [
            translate(lang, "figures.tile.rgb_channel", number=i + 1, color=color)
            for i, color in enumerate("RGB")
        ]
    if filter_names is not None:
        return list(filter_names)
    return [translate(lang, "kernels.filter.numbered", number=i + 1) for i in range(channels)]


def kernel_sum_note(channels, lang="en"):
    """What a kernel drawn under a map stands for when the layer has several
    input channels ("" for one).

    Examples
    --------
    >>> kernel_sum_note(3), kernel_sum_note(1)
    ('sum of 3 channels', '')
    """
    return translate(lang, "figures.kernel.sum_note", channels=channels) if channels > 1 else ""


def _figure(data, layout):
    """Wrap a figure dict without Plotly's property validation.

    Validation costs more than building the figure (about 0.1 s for the
    first figure of a process); the dicts here are fixed by this module and
    ``tests/test_figures.py`` validates them, so the app need not.
    """
    return go.Figure({"data": data, "layout": layout}, _validate=False)


class _Grid:
    """Axes, domains and titles of a grid of square tiles, as a figure dict.

    Building the layout as plain data is many times faster than
    ``make_subplots`` followed by per-axis updates, which matters on every
    rerun.
    """

    def __init__(self, rows, cols, titles, hspace, vspace, domains=None):
        self.rows, self.cols = rows, cols
        self.hspace = hspace if cols > 1 else 0.0
        self.vspace = vspace if rows > 1 else 0.0
        self.titles = titles
        self.domains = domains
        self.axis_layout = {}

    def _domain(self, position):
        if self.domains is not None:
            return self.domains[position]
        row, col = divmod(position, self.cols)
        width = (1 - self.hspace * (self.cols - 1)) / self.cols
        height = (1 - self.vspace * (self.rows - 1)) / self.rows
        x0 = col * (width + self.hspace)
        y1 = 1 - row * (height + self.vspace)

        def clip(value):
            return min(1.0, max(0.0, round(value, 6)))

        return [clip(x0), clip(x0 + width)], [clip(y1 - height), clip(y1)]

    def axes(self, position):
        """The trace keys that put a trace on tile ``position``."""
        suffix = "" if position == 0 else str(position + 1)
        return {"xaxis": f"x{suffix}", "yaxis": f"y{suffix}"}

    def style(self, position, x, y, domain=None):
        """Set tile ``position``'s axes: square pixels, no grid, plus ``x``/``y``
        (``domain``: the axes' own (x, y) domains instead of the tile's)."""
        suffix = "" if position == 0 else str(position + 1)
        x_domain, y_domain = self._domain(position) if domain is None else domain
        # "allow": plotly.js otherwise measures every tick label after drawing
        # to hide those that overflow the chart, a forced page layout each.
        common = {
            "constrain": "domain",
            "showgrid": False,
            "zeroline": False,
            "ticklabeloverflow": "allow",
        }
        self.axis_layout[f"xaxis{suffix}"] = {
            "domain": x_domain,
            "anchor": f"y{suffix}",
            **common,
            **x,
        }
        self.axis_layout[f"yaxis{suffix}"] = {
            "domain": y_domain,
            "anchor": f"x{suffix}",
            "scaleanchor": f"x{suffix}",
            **common,
            **y,
        }

    def layout(self, **extra):
        """The layout dict: axes, one title annotation per tile, and ``extra``."""
        annotations = []
        for position, text in enumerate(self.titles):
            x_domain, y_domain = self._domain(position)
            annotations.append(
                {
                    "text": text,
                    "x": (x_domain[0] + x_domain[1]) / 2,
                    "y": y_domain[1],
                    "xref": "paper",
                    "yref": "paper",
                    "xanchor": "center",
                    "yanchor": "bottom",
                    "showarrow": False,
                    # Titles such as "filter 5: Sobel x" must fit over narrow tiles.
                    "font": {"size": 14 if self.cols <= 2 else 12 if self.cols == 3 else 10},
                }
            )
        return {**self.axis_layout, "annotations": annotations, **extra}


def _levels(values, shown_range, value_range):
    """8-bit levels of ``values`` over ``value_range``.

    ``values`` are floats, or uint8 levels that map ``shown_range`` to 0-255
    (as :func:`cnn_core.forward.quantized` stores them); these are re-mapped
    through a 256-entry table, without going back to floats per pixel.
    """
    if values.dtype != np.uint8:
        return to_uint8(values, value_range)
    low, high = shown_range
    level_values = (
        low + np.arange(256) * ((high - low) / 255.0) if high > low else np.full(256, low)
    )
    return to_uint8(level_values, value_range)[values]


def image_uri(pixels, lossless=False, palette=None):
    """Encode an 8-bit image as a data URI for a Plotly image (a layout image or an image trace).

    Parameters
    ----------
    pixels : ndarray of uint8, shape (h, w) or (h, w, 3)
        Gray levels, or BGR colours; with ``palette``, levels (h, w) that
        index it.
    lossless : bool
        PNG, for maps shown at or above their real size, whose pixels are
        the point (and compress well). Otherwise JPEG (quality 85, as the
        Convolution step's pictures), for maps shrunk to screen size, which
        look like photos and are far smaller as JPEG; hover shows the exact
        values.
    palette : ndarray of uint8, shape (256, 3), optional
        RGB colour of each level (:func:`cnn_core.color_scale.colormap_lut`).
        A lossless picture is then an indexed PNG: the same colours in one
        byte per pixel, about half the size of an RGB PNG of the same colours
        (a 249x249 convolution map: 54 instead of 125 kB) and faster to
        encode (2.3 instead of 13.5 ms).

    Returns
    -------
    str

    Examples
    --------
    >>> levels = np.array([[0, 128], [255, 128]], np.uint8)
    >>> lut = np.stack([np.arange(256)] * 3, axis=1).astype(np.uint8)
    >>> image_uri(levels, lossless=True, palette=lut)[:22]
    'data:image/png;base64,'
    """
    pixels = np.ascontiguousarray(pixels, dtype=np.uint8)
    if palette is not None:
        palette = np.asarray(palette, dtype=np.uint8)
        if pixels.ndim != 2 or palette.shape != (256, 3):
            raise ImageError("errors.internal.encode", shape=str(pixels.shape))
        if lossless:
            return _data_uri("png", _indexed_png(pixels, palette))
        pixels = np.ascontiguousarray(palette[pixels][:, :, ::-1])  # OpenCV encodes BGR
    if lossless:
        ok, buffer = cv2.imencode(".png", pixels, [cv2.IMWRITE_PNG_COMPRESSION, 6])
    else:
        ok, buffer = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, 85])
    if not ok:
        raise ImageError("errors.internal.encode", shape=str(pixels.shape))
    return _data_uri("png" if lossless else "jpeg", buffer.tobytes())


def _data_uri(kind, data):
    return f"data:image/{kind};base64," + base64.b64encode(data).decode("ascii")


def _indexed_png(levels, palette):
    """PNG bytes of 8-bit ``levels`` with a 256-colour ``palette`` (Pillow's
    mode "P": OpenCV writes only gray and RGB)."""
    image = Image.frombytes("P", (levels.shape[1], levels.shape[0]), levels.tobytes())
    image.putpalette(palette.reshape(-1).tolist())
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=6)
    return out.getvalue()


def stage_figure(
    display,
    samples,
    step,
    full_size,
    value_range,
    tile_names,
    tiles=None,
    title="",
    colorscale=None,
    *,
    display_ranges=None,
    signed=False,
    kernels=None,
    kernel_note="",
    colorbar_title=None,
    lang="en",
):
    """A grid of tiles, one per channel, drawn as images with exact values on hover.

    Each tile is an 8-bit image of ``display`` (the maps resampled to screen
    size) under an invisible heatmap of ``samples`` (every ``step``-th pixel
    of the real output, exact), so the picture is smooth and hovering tells
    the true value of the nearest sampled pixel, in real pixel coordinates.

    Parameters
    ----------
    display : ndarray, shape (h, w, C)
        Maps resampled for display (see :func:`cnn_core.forward.summarize_stage`):
        float values, or uint8 levels mapping ``display_ranges`` to 0-255.
    samples : ndarray, shape (hs, ws, C)
        ``full[::step, ::step, :]``.
    step : int
        Sampling stride of ``samples``.
    full_size : tuple of int
        ``(H, W)`` of the real output.
    value_range : tuple
        ``(low, high)`` mapped to the ends of the colour map: two floats
        shared by every tile, or two arrays of shape (C,), one range per
        tile (:func:`cnn_core.color_scale.tile_ranges`).
    tile_names : sequence of str
        One title per channel.
    tiles : range or sequence of int, optional
        Which channels to show (default: all).
    title : str
        Figure title.
    colorscale : str, optional
        Plotly colorscale name for the colorbar, overriding the default:
        black to white (exactly the tiles' gray levels), or the diverging
        map when ``signed``. Names are resolved here: without validation,
        plotly.js would not know plotly.py names such as "RdBu_r".
    display_ranges : tuple of arrays, shape (C,), optional
        What uint8 ``display`` levels 0 and 255 stand for, per channel
        (default: ``value_range``).
    signed : bool
        Draw tiles with the diverging colour map centred on zero
        (:func:`cnn_core.color_scale.colormap_lut`).
    kernels : ndarray, shape (k, k, C), optional
        The 2-D kernel that made each channel: drawn as a small heatmap under
        its tile, weights on hover, and as numbers when ``k <= 5``.
    kernel_note : str
        Added to each kernel's label, e.g. "sum of 3 channels".
    colorbar_title : str, optional
        Default: "value" in ``lang``.
    lang : str
        The language of the axis, colorbar, hover and kernel labels.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    if colorbar_title is None:
        colorbar_title = translate(lang, "figures.colorbar.value")
    display = np.asarray(display)
    samples = np.asarray(samples)
    if display.ndim != 3 or samples.ndim != 3:
        raise SpecError(
            "errors.internal.display_shapes", display=str(display.shape), samples=str(samples.shape)
        )
    height, width = full_size
    channels = display.shape[2]
    tiles = list(range(channels) if tiles is None else tiles)
    if not tiles:
        raise SpecError("errors.internal.no_tiles")
    low, high = (np.broadcast_to(np.asarray(v, np.float64), (channels,)) for v in value_range)
    shown_low, shown_high = (
        (low, high)
        if display_ranges is None
        else (np.broadcast_to(np.asarray(v, np.float64), (channels,)) for v in display_ranges)
    )
    lut = colormap_lut(bool(signed))
    if colorscale is not None:
        scale = named_colorscale(colorscale)
    else:
        scale = named_colorscale(DIVERGING) if signed else _GRAY
    ys = np.arange(samples.shape[0], dtype=np.int32) * step
    xs = np.arange(samples.shape[1], dtype=np.int32) * step
    lossless = display.shape[0] >= height
    margin = _margin(55, 50, 45)
    column_title = translate(lang, "figures.axis.column")
    row_title = translate(lang, "figures.axis.row")
    colorbar = functools.partial(
        _colorbar, margin=margin, title={"text": colorbar_title, "side": "top"}
    )

    def tile_traces(position, channel, image_at, hover_axes):
        """The tile's picture (placed by ``image_at``) and its hover heatmap."""
        tile_low, tile_high = float(low[channel]), float(high[channel])
        levels = _levels(
            display[:, :, channel],
            (float(shown_low[channel]), float(shown_high[channel])),
            (tile_low, tile_high),
        )
        x0, y0 = image_at
        # A layout image, not an image trace: plotly.js decodes an image
        # trace's picture into a canvas of its own (for hover, which the
        # heatmap gives here) on the page's main thread, for every tile of
        # every new chart. A style in the page (ui/charts.py, CHART_STYLE)
        # keeps it pixelated.
        image = {
            "source": image_uri(levels, lossless, palette=lut),
            "xref": "x",
            "yref": "y",
            "x": x0 - 0.5,
            "y": y0 - 0.5,
            "sizex": width,  # the map's real pixels, whatever the picture's size
            "sizey": height,
            "sizing": "stretch",
            "xanchor": "left",
            "yanchor": "top",
            "layer": "below",
        }
        heatmap = {
            "type": "heatmap",
            "z": np.ascontiguousarray(samples[:, :, channel], dtype=np.float32),
            "x": xs,
            "y": ys,
            "zmin": tile_low,
            "zmax": tile_high if tile_high > tile_low else tile_low + 1,
            "colorscale": scale,
            "opacity": 0,
            "showscale": position == 0,
            "name": tile_names[channel],
            "hovertemplate": translate(lang, "figures.hover.value", name=tile_names[channel]),
            **hover_axes,
        }
        return image, heatmap

    if len(tiles) > 1:
        rows, cols = grid_shape(len(tiles))
        mosaic = _Mosaic(rows, cols, _Mosaic.tile_px(cols), (height, width), margin, kernels)
        data, images = [], []
        for position, channel in enumerate(tiles):
            image, heatmap = tile_traces(
                position, channel, mosaic.tile_origin(position), mosaic.tile_axes(position)
            )
            heatmap["colorbar"] = colorbar(mosaic.figure_height)
            data.append(heatmap)
            images.append(image)
        annotations = [
            mosaic.title(position, tile_names[channel]) for position, channel in enumerate(tiles)
        ]
        if kernels is not None:
            kernels = np.asarray(kernels, np.float32)
            for position, channel in enumerate(tiles):
                data.append(
                    _thumbnail_trace(
                        kernels[:, :, channel],
                        tile_names[channel],
                        {},
                        kernel_note,
                        lang,
                        placed=mosaic.kernel_place(position),
                    )
                )
                annotations.append(mosaic.kernel_label(position, lang))
        layout = mosaic.layout(len(tiles), column_title, row_title)
        layout |= {
            "annotations": annotations,
            "images": images,
            "title": {"text": title, "font": {"size": 14}, "x": 0, "xanchor": "left"},
            "height": mosaic.figure_height,
            "margin": margin,
            "plot_bgcolor": "rgba(0,0,0,0)",
        }
        return _figure(data, layout)

    # One tile: a subplot of its own, with its kernel (if any) under it.
    [channel] = tiles
    tile_px = 460
    names = [tile_names[channel]]
    thumbs = None
    if kernels is None:
        grid = _Grid(1, 1, names, 0.025, 0.08)
        figure_height = tile_px + 22 + 95
    else:
        kernels = np.asarray(kernels, np.float32)
        thumbs = _ThumbLayout(tile_px, kernels.shape[0], margin)
        figure_height = thumbs.figure_height
        grid = _Grid(1, 1, names, 0.025, 0, [thumbs.tile_domain()])
    axes = grid.axes(0)
    image, heatmap = tile_traces(0, channel, (0, 0), axes)
    heatmap["colorbar"] = colorbar(figure_height)
    data = [heatmap]
    grid.style(
        0,
        x={
            "title": {"text": column_title},
            "range": [-0.5, width - 0.5],
            "showticklabels": True,
            "ticks": "outside",
        },
        y={
            "title": {"text": row_title},
            "range": [height - 0.5, -0.5],
            "showticklabels": True,
            "ticks": "outside",
        },
    )
    annotations = []
    if thumbs is not None:
        data.append(
            _thumbnail_trace(kernels[:, :, channel], names[0], grid.axes(1), kernel_note, lang)
        )
        grid.style(
            1,
            x={"visible": False, "range": [-0.5, kernels.shape[1] - 0.5]},
            y={"visible": False, "range": [kernels.shape[0] - 0.5, -0.5]},
            domain=thumbs.thumb_domain(),
        )
        annotations.append(thumbs.label(kernels.shape[0], kernel_note, lang))
    layout = grid.layout(
        title={"text": title, "font": {"size": 14}, "x": 0, "xanchor": "left"},
        height=figure_height,
        margin=margin,
        plot_bgcolor="rgba(0,0,0,0)",
    )
    layout["annotations"] += annotations
    layout["images"] = [image]
    return _figure(data, layout)


def _thumbnail_trace(kernel, name, axes, note="", lang="en", placed=None):
    """A kernel as a small diverging heatmap, numbers in the cells when k <= 5.

    ``placed`` (``x0``, ``dx``, ``y0``, ``dy`` on a mosaic's main axes) puts
    it there; its hover then names the filter and the weight, not the cell
    (the cell's row and column are not coordinates of those axes).
    """
    k = kernel.shape[0]
    if placed is not None:
        if note:
            hover = translate(lang, "figures.hover.placed_kernel_note", name=name, note=note)
        else:
            hover = translate(lang, "figures.hover.placed_kernel", name=name)
    elif note:
        hover = translate(lang, "figures.hover.kernel_note", name=name, note=note)
    else:
        hover = translate(lang, "figures.hover.kernel", name=name)
    limit = float(np.abs(kernel).max()) or 1.0
    trace = {
        "type": "heatmap",
        "z": np.ascontiguousarray(kernel, dtype=np.float32),
        "colorscale": named_colorscale(DIVERGING),
        "zmin": -limit,
        "zmax": limit,
        "showscale": False,
        "hovertemplate": hover,
        **axes,
        **(placed or {}),
    }
    if k <= 5:
        trace |= {
            "texttemplate": "%{z:.2g}",
            "textfont": {"size": 10},
            "xgap": 1,
            "ygap": 1,
        }
    return trace


class _ThumbLayout:
    """Pixel layout of one tile with its kernel drawn under it.

    From the top: the tile's title, the tile, room for the x tick labels, a
    "kernel" label and the kernel; pixel positions become paper fractions of
    the fixed-height plot area. (Several tiles are a :class:`_Mosaic`.)
    """

    TITLE, TICKS, LABEL, GAP = 22, 42, 16, 10

    def __init__(self, tile_px, k, margin):
        self.tile_px = tile_px
        wanted = 26 * k if k <= 5 else 100
        self.thumb_px = int(min(tile_px, max(72, wanted)))
        self.plot_px = self.TITLE + tile_px + self.TICKS + self.LABEL + self.thumb_px + self.GAP
        self.figure_height = int(self.plot_px + margin["t"] + margin["b"])
        self.thumb_top = self.TITLE + tile_px + self.TICKS + self.LABEL

    def _y(self, top_px, size_px):
        def paper(px):
            return min(1.0, max(0.0, round(1 - px / self.plot_px, 6)))

        return [paper(top_px + size_px), paper(top_px)]

    def tile_domain(self):
        return [0.0, 1.0], self._y(self.TITLE, self.tile_px)

    def thumb_domain(self):
        return [0.0, 1.0], self._y(self.thumb_top, self.thumb_px)

    def label(self, k, note="", lang="en"):
        if note:
            text = translate(lang, "figures.kernel.its_note", k=k, note=note)
        else:
            text = translate(lang, "figures.kernel.its", k=k)
        return {
            "text": text,
            "x": 0.5,
            "y": self._y(self.thumb_top, 0)[1],
            "xref": "paper",
            "yref": "paper",
            "xanchor": "center",
            "yanchor": "bottom",
            "showarrow": False,
            "font": {"size": 11},
        }


def _nice_ticks(size, count=3):
    """About ``count`` round tick values in ``[0, size)``, starting at 0.

    Examples
    --------
    >>> _nice_ticks(498), _nice_ticks(8), _nice_ticks(1)
    ([0, 200, 400], [0, 5], [0])
    """
    if size <= 1:
        return [0]
    raw = (size - 1) / count
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    return list(range(0, size, step))


class _Mosaic:
    """A grid of tiles drawn on one pair of axes, each tile in its own coordinates.

    A chart of 16 tiles as 16 subplots (each with its axes, tick labels,
    clip paths and zoom handles) puts thousands of elements in the page,
    which the browser lays out and draws on every change; 16 kernel
    thumbnails as subplots double that. Here the tiles' pictures sit side by
    side on one pair of axes ("mosaic units": the maps' own pixels, the
    tiles a few units apart), and each tile's hover heatmap and kernel lie on
    invisible axes *overlaying* those, one per grid column and one per grid
    row, whose ranges are shifted so that the tile's own row and column
    numbers land on its picture. Hovering therefore still names a tile's
    real pixel, zooming moves every overlay with the main axes, and the tick
    labels under and beside the tiles count each tile's pixels from 0.

    Parameters
    ----------
    rows, cols : int
        The grid (see :func:`grid_shape`).
    tile_px : int
        A tile's intended width on screen, pixels.
    size : tuple of int
        ``(H, W)`` of one map.
    margin : dict
        The figure's margins (``t`` and ``b`` add to its height).
    kernels : ndarray, shape (k, k, C), optional
        Drawn under each tile when given.
    """

    #: Screen pixels: room for a tile's title, between columns, between rows,
    #: for the "kernel" label, and between a tile and its kernel's label.
    TITLE, GAP_X, GAP_Y, LABEL, KERNEL_GAP = 20, 12, 12, 16, 22

    #: The plot area's width the grid is sized for, pixels: a stage chart's
    #: at a 1400-pixel-wide window (its column, less the margins). Wider, the
    #: grid keeps its height and is centred; narrower, it shrinks and keeps
    #: to the top (``constraintoward``), and the chart has room to spare below.
    PLOT_PX = 350

    @classmethod
    def tile_px(cls, cols):
        """A tile's width on screen when ``cols`` tiles share :data:`PLOT_PX`."""
        return max(80, (cls.PLOT_PX - cls.GAP_X * (cols - 1)) // cols)

    def __init__(self, rows, cols, tile_px, size, margin, kernels=None):
        self.rows, self.cols = rows, cols
        self.height, self.width = size
        unit = self.width / tile_px  # mosaic units per screen pixel
        self.unit = unit
        self.k = None if kernels is None else int(np.shape(kernels)[0])
        if self.k is None:
            self.thumb = 0.0
            below = 0.0
        else:
            # Numbers fit in the cells of a small kernel; a larger one is a
            # picture, smaller than its tile.
            wanted = 26 * self.k if self.k <= 5 else 0.6 * tile_px
            self.thumb = min(tile_px, max(40, wanted)) * unit
            below = (self.KERNEL_GAP + self.LABEL) * unit + self.thumb
        self.col_step = self.width + self.GAP_X * unit
        self.row_step = (self.TITLE + self.GAP_Y) * unit + self.height + below
        self.extent_x = (cols - 1) * self.col_step + self.width
        self.extent_y = rows * self.row_step - self.GAP_Y * unit
        plot_px = self.extent_y / unit
        self.figure_height = round(plot_px + margin["t"] + margin["b"])

    def _left(self, position):
        return (position % self.cols) * self.col_step

    def _top(self, position):
        return (position // self.cols) * self.row_step + self.TITLE * self.unit

    def tile_origin(self, position):
        """Mosaic units of the tile's pixel (0, 0): (x, y)."""
        return self._left(position), self._top(position)

    def _kernel_box(self, position):
        """Left and top edges of the tile's kernel, in mosaic units."""
        left = self._left(position) - 0.5 + (self.width - self.thumb) / 2
        top = self._top(position) - 0.5 + self.height + (self.KERNEL_GAP + self.LABEL) * self.unit
        return left, top

    @staticmethod
    def _axis_id(letter, number):
        return letter if number == 1 else f"{letter}{number}"

    def tile_axes(self, position):
        """The overlay axes of the tile's column and row (trace keys)."""
        row, col = divmod(position, self.cols)
        return {"xaxis": self._axis_id("x", 2 + col), "yaxis": self._axis_id("y", 2 + row)}

    def kernel_place(self, position):
        """``x0``, ``dx``, ``y0``, ``dy`` of the tile's kernel on the main axes.

        The kernels sit on the main axes, not on overlays of their own: an
        overlay pair per grid cell costs the browser about as much as a
        subplot, and a weight's row and column are in the Kernels page.
        """
        left, top = self._kernel_box(position)
        cell = self.thumb / self.k
        return {"x0": left + cell / 2, "dx": cell, "y0": top + cell / 2, "dy": cell}

    def layout(self, count, column_title, row_title):
        """Main and overlay axes: ticks count each tile's pixels from 0."""
        x_end, y_end = self.extent_x - 0.5, self.extent_y - 0.5
        common = {"showgrid": False, "zeroline": False, "ticklabeloverflow": "allow"}
        tick_x, tick_y = _nice_ticks(self.width), _nice_ticks(self.height)
        columns = range(min(count, self.cols))  # every column that holds a tile
        layout = {
            "xaxis": {
                "domain": [0.0, 1.0],
                "anchor": "y",
                "range": [-0.5, x_end],
                "constrain": "domain",
                "title": {"text": column_title},
                # Ticks under every column, counting from each tile's left.
                "tickvals": [self._left(col) + t for col in columns for t in tick_x],
                "ticktext": [str(t) for _ in columns for t in tick_x],
                "ticks": "outside",
                **common,
            },
            "yaxis": {
                "domain": [0.0, 1.0],
                "anchor": "x",
                "range": [y_end, -0.5],
                "scaleanchor": "x",
                "constrain": "domain",
                "constraintoward": "top",
                "title": {"text": row_title},
                "tickvals": [
                    self._top(row * self.cols) + t for row in range(self.rows) for t in tick_y
                ],
                "ticktext": [str(t) for _ in range(self.rows) for t in tick_y],
                "ticks": "outside",
                **common,
            },
        }

        def overlay(letter, start, end, shift, reverse=False):
            # Main-axis coordinate u shows as u - shift on this axis. Each
            # overlay is tied to the main axes' scale and constrained as they
            # are, so when the chart is wider or narrower than planned, all
            # shrink alike and the shifted coordinates stay on their tiles.
            low, high = start - shift, end - shift
            return {
                "overlaying": letter,
                "range": [high, low] if reverse else [low, high],
                "scaleanchor": letter,
                "constrain": "domain",
                **({"constraintoward": "top"} if letter == "y" else {}),
                "visible": False,
            }

        for col in range(self.cols):
            layout[f"xaxis{2 + col}"] = overlay("x", -0.5, x_end, self._left(col))
        for row in range(self.rows):
            top = self._top(row * self.cols)
            layout[f"yaxis{2 + row}"] = overlay("y", -0.5, y_end, top, reverse=True)
        return layout

    def title(self, position, text):
        """The tile's title, centred above it."""
        x, y = self.tile_origin(position)
        return {
            "text": text,
            "x": x + (self.width - 1) / 2,
            "y": y - 0.5,
            "xref": "x",
            "yref": "y",
            "xanchor": "center",
            "yanchor": "bottom",
            "showarrow": False,
            # Titles such as "filter 5: Sobel x" must fit over narrow tiles.
            "font": {"size": 12 if self.cols <= 3 else 10},
        }

    def kernel_label(self, position, lang="en"):
        """The word "kernel" above the tile's kernel."""
        x, _ = self.tile_origin(position)
        _, top = self._kernel_box(position)
        return {
            "text": translate(lang, "figures.kernel.short"),
            "x": x + (self.width - 1) / 2,
            "y": top,
            "xref": "x",
            "yref": "y",
            "xanchor": "center",
            "yanchor": "bottom",
            "showarrow": False,
            "font": {"size": 11},
        }


def kernel_figure(kernel, filters=None, channel_names=None, filter_names=None, lang="en"):
    """Heatmaps of conv kernel weights: one row per filter, one column per channel.

    Kernels of a one-channel input are laid out in a near-square grid of
    filters instead (:func:`grid_shape`), so eight 15x15 kernels fill a screen
    rather than a tall column.

    Parameters
    ----------
    kernel : ndarray, shape (k, k, c, f)
        As stored by Keras's Conv2D.
    filters : range or sequence of int, optional
        Which filters to show (default: all).
    channel_names : sequence of str, optional
        Column titles; default "channel 1", ...
    filter_names : sequence of str, optional
        One name per filter; default "filter 1", ...
    lang : str
        The language of the default names, the colorbar and the hover text.

    Returns
    -------
    plotly.graph_objects.Figure
        Diverging colors centred at zero, weights on hover.
    """
    kernel = np.asarray(kernel)
    if kernel.ndim != 4:
        raise SpecError("errors.internal.kernel_4d", shape=str(kernel.shape))
    k, _, channels, count = kernel.shape
    filters = list(range(count) if filters is None else filters)
    if channel_names is None:
        channel_names = [
            translate(lang, "figures.tile.channel", number=i + 1) for i in range(channels)
        ]
    limit = float(np.abs(kernel).max()) or 1.0
    if filter_names is None:
        filter_names = [
            translate(lang, "kernels.filter.numbered", number=f + 1) for f in range(count)
        ]
    if channels == 1:
        rows, cols = grid_shape(len(filters))
        titles = [filter_names[f] for f in filters]
    else:
        rows, cols = len(filters), channels
        titles = [
            translate(lang, "figures.tile.filter_channel", filter=filter_names[f], channel=name)
            for f in filters
            for name in channel_names[:channels]
        ]
    grid = _Grid(rows, cols, titles, 0.06, min(0.1, 0.4 / rows))
    tile_px = min(220 if k > 5 else 160, 600 // cols)
    margin = _margin(40, 60, 30)
    figure_height = int(rows * tile_px + 80)
    weight = translate(lang, "figures.colorbar.weight")
    hover = translate(lang, "figures.hover.weight")
    colorbar = _colorbar(figure_height, margin, title={"text": weight, "side": "top"})
    data = []
    for r, f in enumerate(filters):
        for c in range(channels):
            position = r * channels + c
            data.append(
                {
                    "type": "heatmap",
                    "z": kernel[:, :, c, f].astype(np.float32),
                    "colorscale": named_colorscale(DIVERGING),
                    "zmin": -limit,
                    "zmax": limit,
                    "showscale": position == 0,
                    "colorbar": colorbar,
                    "hovertemplate": hover,
                    **grid.axes(position),
                }
            )
            grid.style(position, x={}, y={"autorange": "reversed"})
    layout = grid.layout(height=figure_height, margin=margin)
    return _figure(data, layout)
