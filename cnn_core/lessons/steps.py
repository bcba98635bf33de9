"""The lessons as data: each step's spec, what it shows and what it asks.

No sentence lives here. A step's words are catalogue keys
(``lessons.<lesson>.<step>.title``, ``.body``, ``.question``), so a teacher or a
translator changes the text in ``cnn_core/i18n/<lang>/lessons.toml`` without
touching this file; the numbers the text needs come from the engine
(:func:`cnn_core.lessons.step_facts`), and so do the answers
(:func:`cnn_core.lessons.answer`).

Examples
--------
>>> [lesson.key for lesson in LESSONS]
['one_layer', 'stride_padding', 'filters_channels']
>>> len(LESSONS[0].steps), LESSONS[0].steps[4].asks
(10, 'conv_side')
"""

from __future__ import annotations

from dataclasses import dataclass

from cnn_core.errors import CallError
from cnn_core.kernels import choice_filters
from cnn_core.spec import PipelineSpec

__all__ = ["ASKS", "LESSONS", "SHOWS", "Lesson", "Step"]

#: What a step can ask the student to predict (each answered by :func:`answer`).
ASKS = ("conv_side", "conv_params", "conv_depth", "pool_side")
#: What a step can draw: the photo, the two grayscale conversions, one stage of
#: the pipeline ("input", "conv", "activation", "pool"), the model summary, or
#: the error of a setting that cannot be computed.
SHOWS = ("photo", "grayscale", "input", "conv", "activation", "pool", "summary", "error")


@dataclass(frozen=True)
class Step:
    """One step of a lesson.

    Attributes
    ----------
    key : str
        The step's name; its texts are ``lessons.<lesson>.<key>.*``.
    spec : PipelineSpec
        The setting the step shows, on the seed's cat.
    shows : str
        One of :data:`SHOWS`.
    asks : str or None
        One of :data:`ASKS`, or None for a step without a prediction.
    """

    key: str
    spec: PipelineSpec
    shows: str
    asks: str | None = None

    def __post_init__(self):
        if self.shows not in SHOWS:
            raise CallError("lessons.internal.shows", choices=SHOWS, value=self.shows)
        if self.asks is not None and self.asks not in ASKS:
            raise CallError("lessons.internal.asks", choices=ASKS, value=self.asks)


@dataclass(frozen=True)
class Lesson:
    """A guided lesson: a title (``lessons.<key>.title``) and its steps."""

    key: str
    steps: tuple


_SEED = PipelineSpec()
_single = PipelineSpec.single

LESSONS = (
    # The seed article, in its order.
    Lesson(
        "one_layer",
        (
            Step("photo", _SEED, "photo"),
            Step("grayscale", _SEED, "grayscale"),
            Step("resize", _SEED, "input"),
            Step("batch", _SEED, "input"),
            Step("conv_side", _SEED, "conv", "conv_side"),
            Step("params", _SEED, "conv", "conv_params"),
            Step("feature_map", _SEED, "conv"),
            Step("relu", _SEED, "activation"),
            Step("pool", _SEED, "pool", "pool_side"),
            Step("summary", _SEED, "summary"),
        ),
    ),
    Lesson(
        "stride_padding",
        (
            Step("stride", _single(stride=2), "conv", "conv_side"),
            Step("same_1", _single(padding_mode="same"), "conv", "conv_side"),
            Step("same_2", _single(padding_mode="same", stride=2), "conv", "conv_side"),
            Step("explicit", _single(padding_mode="explicit", padding=3), "conv", "conv_side"),
            Step("too_large", _single(input_size=16, kernel_size=31), "error", "conv_side"),
        ),
    ),
    Lesson(
        "filters_channels",
        (
            Step("rgb", _single(color_mode="rgb"), "conv", "conv_params"),
            Step("filters", _single(filters=8), "conv", "conv_depth"),
            Step(
                "kernels",
                _single(kernel_size=3, weights="bank", filters=choice_filters("bank")),
                "conv",
                "conv_params",
            ),
        ),
    ),
)
