"""The forward pass, reduced to what the screen can show.

A full-resolution forward pass for 64 filters is tens of megabytes per stage;
the page needs far less. :func:`compute_stages` runs the model once and keeps,
per stage, the maps resampled to screen size, exact values at every
``step``-th pixel for hover, and a few statistics of the full maps.
"""

from __future__ import annotations

import dataclasses
import functools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import cv2
import numpy as np

from cnn_core.errors import SpecError
from cnn_core.histogram import ValueHistogram, coarsen, count_values
from cnn_core.model import run_forward

__all__ = [
    "StageMaps",
    "compute_stages",
    "conv_map",
    "merge_stages",
    "quantized",
    "resample_maps",
    "summarize_stage",
]


@dataclass(frozen=True)
class StageMaps:
    """One stage's output as kept for display.

    Attributes
    ----------
    key : str
        Stage key ("input", "conv", "activation", "pool", ...).
    display : ndarray of float32 or uint8, shape (h, w, C)
        The maps resampled to screen size: area-averaged when shrunk,
        repeated pixels when enlarged. :func:`compute_stages` returns them
        as uint8, ``minimum`` to ``maximum`` mapped to 0-255 (a quarter of
        the memory in the cache; the screen shows 8 bits anyway).
    samples : ndarray of float32, shape (hs, ws, C)
        ``full[::step, ::step, :]``: exact values at the sampled pixels.
    step : int
        Sampling stride of ``samples``; 1 means every pixel is kept.
    full_shape : tuple of int
        ``(H, W, C)`` of the full output.
    minimum, maximum, mean : float
        Over the full output.
    zero_fraction : float
        Share of values exactly zero over the full output (what ReLU does).
    channel_min, channel_max : ndarray of float32, shape (C,)
        Each channel's minimum and maximum over its full map. The uint8
        display maps each channel's own range to 0-255, so any colour scale
        (per map, per stage, whole pipeline) can be drawn from it.
    histogram : ValueHistogram
        The full output's values in at most 64 bins (while a stage is being
        computed in parts: finer bins over the part's own range).
    """

    key: str
    display: np.ndarray
    samples: np.ndarray
    step: int
    full_shape: tuple
    minimum: float
    maximum: float
    mean: float
    zero_fraction: float
    channel_min: np.ndarray
    channel_max: np.ndarray
    histogram: ValueHistogram


def resample_maps(maps, side):
    """Resample every channel of ``maps`` so the longer side is about ``side``.

    Shrinking averages areas (``cv2.INTER_AREA``); enlarging repeats pixels
    by a whole factor, so a 6x6 map stays 36 crisp blocks.

    Parameters
    ----------
    maps : ndarray, shape (H, W, C)
    side : int

    Returns
    -------
    ndarray of float32, shape (h, w, C)

    Examples
    --------
    >>> resample_maps(np.ones((100, 50, 2), np.float32), 20).shape
    (20, 10, 2)
    >>> resample_maps(np.arange(4, dtype=np.float32).reshape(2, 2, 1), 5)[:, :, 0].tolist()
    [[0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 1.0, 1.0], [2.0, 2.0, 3.0, 3.0], [2.0, 2.0, 3.0, 3.0]]
    """
    maps = np.asarray(maps, dtype=np.float32)
    height, width, channels = maps.shape
    longest = max(height, width)
    if longest > side:
        scale = side / longest
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        out = np.empty((size[1], size[0], channels), np.float32)
        # OpenCV resizes at most 512 channels at once; 4 at a time is fastest.
        for start in range(0, channels, 4):
            chunk = cv2.resize(maps[:, :, start : start + 4], size, interpolation=cv2.INTER_AREA)
            out[:, :, start : start + 4] = chunk.reshape(size[1], size[0], -1)
        return out
    factor = max(1, side // longest)
    return np.repeat(np.repeat(maps, factor, axis=0), factor, axis=1)


def channel_ranges(full):
    """Each channel's minimum and maximum.

    The maps are reduced as ``H`` rows of ``W * C`` values, then the ``W``
    columns of each channel: numpy then runs one vectorized pass down long
    rows. ``full.min(axis=(0, 1))`` is a strided reduction, and
    ``cv2.reduce`` over the (pixels, channels) view is fast only for some
    channel counts (16 here, but 10-20 times slower for 8 or 13), both
    several times slower than this.

    Examples
    --------
    >>> low, high = channel_ranges(np.arange(12, dtype=np.float32).reshape(2, 2, 3))
    >>> low.tolist(), high.tolist()
    ([0.0, 1.0, 2.0], [9.0, 10.0, 11.0])
    """
    full = np.ascontiguousarray(full, dtype=np.float32)
    height, width, channels = full.shape
    rows = full.reshape(height, width * channels)
    low = rows.min(axis=0).reshape(width, channels).min(axis=0)
    high = rows.max(axis=0).reshape(width, channels).max(axis=0)
    return low, high


def summarize_stage(key, full, budget, grid_channels=None):
    """Keep what the screen can show of one stage, and its statistics.

    Tile size and sampling come from ``budget``, which knows the grid a
    stage of ``C`` channels is drawn in.

    Parameters
    ----------
    key : str
    full : ndarray, shape (H, W, C)
    budget : cnn_core.display.DisplayBudget
        Asked for ``tile_side(channels)`` and ``hover_step(side, channels)``.
    grid_channels : int, optional
        Channels of the whole stage when ``full`` holds only some of them
        (default ``C``); decides the grid, hence the tile size.

    Returns
    -------
    StageMaps

    Examples
    --------
    >>> from cnn_core.display import DisplayBudget
    >>> full = np.arange(400, dtype=np.float32).reshape(20, 20, 1)
    >>> s = summarize_stage("conv", full, DisplayBudget(display_px=16, hover_samples=8))
    >>> s.step, s.samples.shape, float(s.samples[1, 1, 0]), s.display.shape, s.zero_fraction
    (3, (7, 7, 1), 63.0, (16, 16, 1), 0.0025)
    """
    full = np.asarray(full, dtype=np.float32)
    if full.ndim != 3:
        raise SpecError("errors.internal.maps_shape", shape=str(full.shape))
    channels = grid_channels or full.shape[2]
    step = budget.hover_step(max(full.shape[:2]), channels)
    channel_min, channel_max = channel_ranges(full)
    minimum, maximum = float(channel_min.min()), float(channel_max.max())
    return StageMaps(
        key=key,
        display=resample_maps(full, budget.tile_side(channels)),
        samples=np.ascontiguousarray(full[::step, ::step, :]),
        step=step,
        full_shape=tuple(full.shape),
        minimum=minimum,
        maximum=maximum,
        mean=float(full.mean()),
        zero_fraction=float(np.count_nonzero(full == 0) / full.size),
        channel_min=channel_min,
        channel_max=channel_max,
        histogram=count_values(full, value_range=(minimum, maximum)),
    )


def merge_stages(parts):
    """Join the summaries of one stage computed a few channels at a time.

    Parameters
    ----------
    parts : sequence of StageMaps
        Same stage, same grid, consecutive channels.

    Returns
    -------
    StageMaps
        As if the whole stage had been summarized at once.
    """
    if len(parts) == 1:
        return parts[0]
    first = parts[0]
    weights = np.array([part.full_shape[2] for part in parts], dtype=np.float64)
    height, width = first.full_shape[:2]
    return StageMaps(
        key=first.key,
        display=np.concatenate([part.display for part in parts], axis=2),
        samples=np.concatenate([part.samples for part in parts], axis=2),
        step=first.step,
        full_shape=(height, width, int(weights.sum())),
        minimum=min(part.minimum for part in parts),
        maximum=max(part.maximum for part in parts),
        mean=float(np.average([part.mean for part in parts], weights=weights)),
        zero_fraction=float(np.average([part.zero_fraction for part in parts], weights=weights)),
        channel_min=np.concatenate([part.channel_min for part in parts]),
        channel_max=np.concatenate([part.channel_max for part in parts]),
        histogram=coarsen(
            [part.histogram for part in parts],
            min(part.minimum for part in parts),
            max(part.maximum for part in parts),
            bins=len(first.histogram.counts),
        ),
    )


#: Threads that summarize a forward pass's stages side by side. OpenCV and
#: numpy release the GIL in their histograms, resizes and reductions, so a
#: chunk's three stages of 16 maps of 498x498 take 62-68 ms on two threads
#: instead of 111-117 ms on one (2 cores). Shared by every caller, so two
#: forward passes at once still use two threads between them.
SUMMARY_THREADS = 2


@functools.cache
def _summary_pool():
    return ThreadPoolExecutor(SUMMARY_THREADS, thread_name_prefix="summarize_stage")


def _summarize(outputs, budget, grid_channels=None):
    """:func:`summarize_stage` of every stage in ``outputs``, side by side, in order."""
    if len(outputs) == 1:
        [(key, full)] = outputs.items()
        return {key: summarize_stage(key, full, budget, grid_channels)}
    pool = _summary_pool()
    futures = {
        key: pool.submit(summarize_stage, key, full, budget, grid_channels)
        for key, full in outputs.items()
    }
    return {key: future.result() for key, future in futures.items()}


def compute_stages(models, batch, budget):
    """Run the model(s) on ``batch`` and summarize every stage.

    Parameters
    ----------
    models : keras.Model or list of list of (range, BlockChunk)
        One model from :func:`cnn_core.model.build_model`, or the per-block
        chunks of :func:`cnn_core.model.build_chunked_models`. Chunked, each
        block runs on the previous block's last output; each chunk's outputs
        are summarized and freed before the next runs, except the block's
        last stage, which the next block needs whole.
    batch : ndarray of float32, shape (1, n, n, c)
    budget : cnn_core.display.DisplayBudget
        What the screen shows of each stage (see :func:`summarize_stage`).

    Returns
    -------
    dict of str to StageMaps
        Keyed by stage, the input included, in pipeline order.
    """
    if not isinstance(models, list):
        outputs = run_forward(models, batch)
        return {
            key: quantized(summary, budget) for key, summary in _summarize(outputs, budget).items()
        }
    stages = {"input": quantized(summarize_stage("input", batch[0], budget), budget)}
    x = batch
    for block in models:
        total = block[-1][0].stop
        parts = {}
        following = None  # the block's last stage, whole: the next block's input
        for chunk, model in block:
            outputs = run_forward(model, x)
            for key, summary in _summarize(outputs, budget, total).items():
                parts.setdefault(key, []).append(summary)
            # Copied out chunk by chunk: TensorFlow's oneDNN allocator keeps the
            # largest pool it ever held, so holding every chunk's own output
            # until the end would grow it by the whole stage for good.
            last = outputs[next(reversed(outputs))]
            if following is None:
                following = np.empty((*last.shape[:2], total), last.dtype)
            following[:, :, chunk.start : chunk.stop] = last
            del outputs, last
        x = following[np.newaxis]
        del following
        for key, stage_parts in parts.items():
            stages[key] = quantized(merge_stages(stage_parts), budget)
    return stages


def quantized(stage, budget):
    """``stage`` as the cache keeps it: uint8 display maps and a histogram of
    at most 64 bins.

    Each channel's display maps its own minimum..maximum to 0-255 (the
    narrowest range, so no colour scale loses levels when it widens it).

    Examples
    --------
    >>> from cnn_core.display import DisplayBudget
    >>> budget = DisplayBudget()
    >>> full = np.array([[[-1.0, 0.0], [1.0, 4.0]]], np.float32)
    >>> stage = quantized(summarize_stage("conv", full, budget), budget)
    >>> stage.display.dtype, stage.display[0, 0].tolist(), stage.display[0, -1].tolist()
    (dtype('uint8'), [0, 0], [255, 255])
    >>> stage.histogram.total, len(stage.histogram.counts)
    (4, 64)
    """
    if stage.display.dtype == np.uint8:
        return stage
    display = np.empty(stage.display.shape, np.uint8)
    for channel in range(stage.display.shape[2]):
        display[:, :, channel] = budget.encode(
            stage.display[:, :, channel],
            (float(stage.channel_min[channel]), float(stage.channel_max[channel])),
        )
    histogram = coarsen([stage.histogram], stage.minimum, stage.maximum)
    return dataclasses.replace(stage, display=display, histogram=histogram)


def conv_map(models, batch, filter_index):
    """One filter's full-resolution convolution output.

    Runs only the chunk of :func:`cnn_core.model.build_chunked_models` that
    holds the filter, and keeps only that filter's map.

    Parameters
    ----------
    models : keras.Model or list of (range, BlockChunk)
    batch : ndarray of float32, shape (1, n, n, c)
    filter_index : int
        0-based.

    Returns
    -------
    ndarray of float32, shape (H, W)
    """
    if not isinstance(models, list):
        models = [(None, models)]
    for chunk, model in models:
        if chunk is None or filter_index in chunk:
            offset = 0 if chunk is None else chunk.start
            outputs = run_forward(model, batch)
            if "conv" not in outputs:
                raise SpecError("errors.internal.no_conv")
            return np.ascontiguousarray(outputs["conv"][:, :, filter_index - offset])
    raise SpecError("errors.internal.filter_index", value=filter_index)
