"""The cost guard: estimate a setting's cost from its MACs before running it.

Depth multiplies cost: a second block of 64 filters of 15x15 over 64
channels is tens of billions of multiply-adds, and every other student on
the server waits while it runs. The plan already counts the MACs, so the
estimate costs nothing; above :data:`MAX_MACS` the app does not start the
forward pass, and says what would bring the setting under.

Calibration (2 shared CPU cores, TensorFlow CPU with oneDNN, one forward
pass of the chunked models, November 2026): large kernels ran at 3.6-5.1 G
MACs/s (64 filters of 31x31 over RGB at 1024: 182 G MACs in 48-50 s; 16
filters of 31x31 at 1024: 15 G MACs in 3-7 s), 3x3 to 15x15 kernels over 64
channels at 24-40 G MACs/s. :data:`MACS_PER_SECOND` is the slow end, so the
time shown errs long; :data:`MAX_MACS` is about five seconds at that rate.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnn_core.errors import SpecError
from cnn_core.i18n import Message
from cnn_core.shapes import plan_pipeline, stage_key
from cnn_core.spec import LIMITS

__all__ = ["MACS_PER_SECOND", "MAX_MACS", "CostEstimate", "estimate_cost"]

#: Multiply-adds per second of a forward pass here, at the slow end (see above).
MACS_PER_SECOND = 4_000_000_000
#: Most multiply-adds the app runs without asking: about 5 s at that rate.
MAX_MACS = 20_000_000_000


@dataclass(frozen=True)
class CostEstimate:
    """What running a setting would cost, and what would make it affordable.

    Attributes
    ----------
    macs : int
        Multiply-adds of the whole pipeline for one image.
    seconds : float
        Rough time at :data:`MACS_PER_SECOND`.
    limit : int
        The threshold it was compared with.
    suggestions : tuple of Message
        Single changes that bring the setting under ``limit`` (empty when
        it is under already); :attr:`advice` is their English text,
        :meth:`advice_in` any language's.
    """

    macs: int
    seconds: float
    limit: int
    suggestions: tuple = ()

    @property
    def advice(self):
        """The suggestions in English."""
        return self.advice_in("en")

    def advice_in(self, lang):
        """The suggestions in ``lang``."""
        return tuple(suggestion.render(lang) for suggestion in self.suggestions)

    @property
    def over(self):
        """True when the setting costs more than ``limit``."""
        return self.macs > self.limit


def _macs(spec):
    return plan_pipeline(spec).total_macs


def _largest_under(values, make, limit):
    """The first of ``values`` (largest first) whose spec from ``make`` is under ``limit``."""
    for value in values:
        try:
            spec = make(value)
        except SpecError:
            continue
        if _macs(spec) <= limit:
            return value
    return None


def _advice(spec, plan, limit):
    """Single changes that bring ``spec`` under ``limit``, for its costliest block."""
    convs = [stage for stage in plan.stages if stage.kind == "conv"]
    heaviest = max(convs, key=lambda stage: stage.macs)
    index = heaviest.block - 1
    block = spec.blocks[index]
    number = heaviest.block

    def say(name, **numbers):
        if spec.depth > 1 and name != "input_size":
            return Message.of(f"guard.{name}_in_block", block=number, **numbers)
        return Message.of(f"guard.{name}", **numbers)

    advice = []
    filters = _largest_under(
        range(block.filters - 1, 0, -1), lambda f: spec.replace_block(index, filters=f), limit
    )
    if filters is not None:
        advice.append(say("filters", old=block.filters, new=filters))
    kernel = _largest_under(
        range(block.kernel_size - 1, 0, -1),
        lambda k: spec.replace_block(index, kernel_size=k),
        limit,
    )
    if kernel is not None:
        advice.append(say("kernel", old=block.kernel_size, new=kernel))
    low = LIMITS["input_size"][0]
    sizes = range(spec.input_size - 16 - spec.input_size % 16, low - 1, -16)
    size = _largest_under(sizes, lambda n: spec.replace(input_size=n), limit)
    if size is not None:
        advice.append(say("input_size", old=spec.input_size, new=size))
    if block.dilation == 1:
        stride = _largest_under(
            range(block.stride + 1, LIMITS["stride"][1] + 1),
            lambda s: spec.replace_block(index, stride=s),
            limit,
        )
        if stride is not None:
            advice.append(say("stride", old=block.stride, new=stride))
    if plan.stage(stage_key("conv", heaviest.block + 1)) is not None and not advice:
        advice.append(Message.of("guard.blocks"))
    return tuple(advice)


def estimate_cost(spec, limit=MAX_MACS, rate=MACS_PER_SECOND):
    """Estimate what running ``spec`` costs, before running anything.

    Parameters
    ----------
    spec : PipelineSpec
    limit : int
        Most multiply-adds to run without asking.
    rate : float
        Multiply-adds per second, for the rough time.

    Returns
    -------
    CostEstimate

    Examples
    --------
    >>> from cnn_core.spec import PipelineSpec
    >>> estimate_cost(PipelineSpec()).over
    False
    >>> big = estimate_cost(PipelineSpec.single(input_size=1024, kernel_size=31, filters=64))
    >>> big.over, big.advice[0]
    (True, 'fewer filters: 64 → 21')
    >>> big.advice_in("zh")[0]
    '减少滤波器数量：64 → 21'
    """
    plan = plan_pipeline(spec)
    macs = plan.total_macs
    advice = _advice(spec, plan, limit) if macs > limit else ()
    return CostEstimate(macs=macs, seconds=macs / rate, limit=limit, suggestions=advice)
