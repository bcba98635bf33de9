"""The forward pass, reduced to what the screen can show.

A full-resolution forward pass for 64 filters is tens of megabytes per stage;
the page needs far less. :func:`compute_stages` runs the model once and keeps,
per stage, the maps sampled at every ``step``-th pixel (true values, not
averages) and a few statistics of the full maps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnn_core.figures import sample_step
from cnn_core.model import run_forward

__all__ = ["StageMaps", "compute_stages", "summarize_stage"]


@dataclass(frozen=True)
class StageMaps:
    """One stage's output as kept for display.

    Attributes
    ----------
    key : str
        Stage key ("input", "conv", "activation", "pool", ...).
    maps : ndarray of float32, shape (h, w, C)
        ``full[::step, ::step, :]``: exact values at the sampled pixels.
    step : int
        Sampling stride; 1 means every pixel is kept.
    full_shape : tuple of int
        ``(H, W, C)`` of the full output.
    minimum, maximum, mean : float
        Over the full output.
    zero_fraction : float
        Share of values exactly zero over the full output (what ReLU does).
    """

    key: str
    maps: np.ndarray
    step: int
    full_shape: tuple
    minimum: float
    maximum: float
    mean: float
    zero_fraction: float


def summarize_stage(key, full, max_side):
    """Sample ``full`` to at most ``max_side`` per side and compute its statistics.

    Parameters
    ----------
    key : str
    full : ndarray, shape (H, W, C)
    max_side : int

    Returns
    -------
    StageMaps

    Examples
    --------
    >>> s = summarize_stage("conv", np.arange(16, dtype=np.float32).reshape(4, 4, 1), 2)
    >>> s.maps[:, :, 0].tolist(), s.step, s.zero_fraction
    ([[0.0, 2.0], [8.0, 10.0]], 2, 0.0625)
    """
    full = np.asarray(full, dtype=np.float32)
    if full.ndim != 3:
        raise ValueError(f"Expected maps of shape (H, W, C). Received: shape {full.shape}")
    step = sample_step(max(full.shape[:2]), max_side)
    return StageMaps(
        key=key,
        maps=np.ascontiguousarray(full[::step, ::step, :]),
        step=step,
        full_shape=tuple(full.shape),
        minimum=float(full.min()),
        maximum=float(full.max()),
        mean=float(full.mean()),
        zero_fraction=float(np.count_nonzero(full == 0) / full.size),
    )


def compute_stages(model, batch, max_side=160):
    """Run the model on ``batch`` and summarize every stage.

    Parameters
    ----------
    model : keras.Model
        From :func:`cnn_core.model.build_model`.
    batch : ndarray of float32, shape (1, n, n, c)
    max_side : int
        Most samples per side kept for each stage.

    Returns
    -------
    dict of str to StageMaps
        In stage order, the input first.
    """
    return {
        key: summarize_stage(key, full, max_side) for key, full in run_forward(model, batch).items()
    }
