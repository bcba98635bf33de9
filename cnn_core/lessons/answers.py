"""The answer to each prediction, from the engine, and what a wrong one shows.

:func:`answer` reads the number from :mod:`cnn_core.geometry` for the step's
spec, never from the lesson text. :func:`check` compares a student's number
with it and returns a :class:`Verdict`: the formula worked through with both
numbers, and, for a common mistake, a diagnosis (a :class:`Message` with the
numbers that explain it), e.g. 497 for 498 is "forgot the +1".

Examples
--------
>>> from cnn_core.lessons.steps import LESSONS
>>> conv = LESSONS[0].steps[4]
>>> answer(conv)
498
>>> verdict = check(conv, 497)
>>> verdict.right, verdict.diagnosis.key
(False, 'lessons.diagnosis.plus_one')
>>> print(verdict.diagnosis.render("en"))
You said 497: that is 512 - 15, but the formula adds 1 because the first window starts at 0.
>>> check(conv, 498).right
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from cnn_core.errors import CallError
from cnn_core.geometry import conv_output_size, conv_param_count, pool_output_size
from cnn_core.i18n import Message

__all__ = ["Verdict", "answer", "check", "numbers", "tally"]


def _number(value):
    """A quotient as a formula shows it: at most two decimals, no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def numbers(step):
    """The integers a step's formula uses, read from its spec.

    Returns
    -------
    dict of str to int
        ``n`` input side, ``c`` channels, ``k`` kernel side, ``s`` stride,
        ``p`` explicit padding per side, ``f`` filters, ``mode`` Keras's
        padding, ``conv`` the convolution's output side, ``pool_size`` and
        ``pool_stride`` (P and S), ``pool`` the pooling's output side (None
        without pooling or when the convolution cannot be computed).

    Examples
    --------
    >>> from cnn_core.lessons.steps import LESSONS
    >>> values = numbers(LESSONS[0].steps[8])
    >>> values["n"], values["conv"], values["pool"]
    (512, 498, 249)
    """
    spec = step.spec
    block = spec.blocks[0]
    n, p = spec.input_size, block.explicit_padding
    conv = conv_output_size(n + 2 * p, block.kernel_size, block.stride, block.keras_padding)
    pool = None
    if block.pooling != "none" and conv > 0:
        pool = pool_output_size(conv, block.pool_size, block.effective_pool_stride)
    return {
        "n": n,
        "c": spec.channels,
        "k": block.kernel_size,
        "s": block.stride,
        "p": p,
        "f": block.filters,
        "mode": block.keras_padding,
        "conv": conv,
        "pool_size": block.pool_size,
        "pool_stride": block.effective_pool_stride,
        "pool": pool,
        "params": conv_param_count(block.kernel_size, spec.channels, block.filters),
        "seed": block.seed,
    }


def answer(step):
    """The right answer to ``step``'s prediction, computed by the engine.

    Raises
    ------
    CallError
        When the step asks nothing.
    """
    values = numbers(step)
    if step.asks == "conv_side":
        return values["conv"]
    if step.asks == "conv_params":
        return values["params"]
    if step.asks == "conv_depth":
        return values["f"]
    if step.asks == "pool_side":
        return values["pool"]
    raise CallError("lessons.internal.no_question", step=step.key)


@dataclass(frozen=True)
class Verdict:
    """The outcome of one prediction.

    Attributes
    ----------
    guess : float
        The student's number.
    answer : int
        The engine's number.
    right : bool
    worked : tuple of Message
        The formula with the step's numbers, ending in the answer.
    diagnosis : Message or None
        What a common wrong answer shows the student forgot; None when the
        answer is right or the mistake is not a common one.
    """

    guess: float
    answer: int
    right: bool
    worked: tuple
    diagnosis: Message | None


def _worked(step, values):
    v = values
    if step.asks == "conv_params":
        return (Message.of("lessons.worked.params", k=v["k"], c=v["c"], f=v["f"], out=v["params"]),)
    if step.asks == "conv_depth":
        return (Message.of("lessons.worked.depth", f=v["f"], out=v["f"]),)
    if step.asks == "pool_side":
        n, size, stride = v["conv"], v["pool_size"], v["pool_stride"]
        return (
            Message.of(
                "lessons.worked.pool",
                n=n,
                P=size,
                S=stride,
                quotient=_number((n - size) / stride),
                out=v["pool"],
            ),
        )
    if v["mode"] == "same":
        return (Message.of("lessons.worked.same", n=v["n"], s=v["s"], out=v["conv"]),)
    worked = (
        Message.of(
            "lessons.worked.valid",
            n=v["n"],
            p=v["p"],
            k=v["k"],
            s=v["s"],
            quotient=_number((v["n"] + 2 * v["p"] - v["k"]) / v["s"]),
            out=v["conv"],
        ),
    )
    if v["conv"] <= 0:
        worked += (Message.of("lessons.worked.impossible", out=v["conv"]),)
    return worked


def _side_mistakes(n, k, s, out):
    """Common wrong answers for a 'valid' output side (after explicit padding)."""
    quotient = (n - k) / s
    if s > 1:
        # Every stride-1 position: the stride was left out.
        forgot_stride = (
            ("stride_none", n - k + 1, {"n": n, "k": k, "s": s}),
            ("stride_none", n - k, {"n": n, "k": k, "s": s}),
        )
    else:
        forgot_stride = (("plus_one", n - k, {"n": n, "k": k}),)
    return (
        *forgot_stride,
        ("plus_one_stride", (n - k) // s, {"n": n, "k": k, "s": s, "floor": (n - k) // s}),
        ("floor", quotient + 1, {"quotient": _number(quotient), "floor": math.floor(quotient)}),
        ("ceil", math.ceil(quotient) + 1, {"quotient": _number(quotient), "out": out}),
        ("valid_keeps", n, {"n": n}),
    )


def _mistakes(step, v):
    """(diagnosis name, wrong value, its numbers) for the step's common mistakes."""
    if step.asks == "conv_params":
        k, c, f = v["k"], v["c"], v["f"]
        return (
            ("bias", k * k * c * f, {"k": k, "c": c, "f": f, "count": f}),
            ("channels", f * k * k + f, {"c": c}),
            ("one_filter", k * k * c + 1, {"f": f}),
        )
    if step.asks == "conv_depth":
        return (("depth_channels", v["c"], {"c": v["c"], "f": v["f"]}),)
    if step.asks == "pool_side":
        return (
            ("pool_none", v["conv"], {"n": v["conv"], "P": v["pool_size"]}),
            *_side_mistakes(v["conv"], v["pool_size"], v["pool_stride"], v["pool"]),
        )
    n, k, s, p = v["n"], v["k"], v["s"], v["p"]
    if v["mode"] == "same":
        return (
            ("same_stride", n, {"n": n, "s": s}),
            ("same_floor", n // s, {"n": n, "s": s, "out": v["conv"]}),
            ("same_valid", (n - k) // s + 1, {"k": k}),
        )
    mistakes = ()
    if p:
        mistakes += (
            ("explicit_none", (n - k) // s + 1, {"p": p}),
            ("explicit_one_side", (n + p - k) // s + 1, {"p": p}),
        )
    return mistakes + _side_mistakes(n + 2 * p, k, s, v["conv"])


def check(step, guess):
    """Compare a student's prediction with the engine's answer.

    Parameters
    ----------
    step : Step
        A step that asks a prediction.
    guess : float
        The student's number.

    Returns
    -------
    Verdict
    """
    values = numbers(step)
    right_answer = answer(step)
    right = math.isclose(float(guess), right_answer)
    diagnosis = None
    if not right:
        for name, wrong, params in _mistakes(step, values):
            if wrong != right_answer and math.isclose(float(guess), wrong):
                diagnosis = Message.of(
                    f"lessons.diagnosis.{name}", guess=_number(float(guess)), **params
                )
                break
    return Verdict(float(guess), right_answer, right, _worked(step, values), diagnosis)


def tally(results):
    """``(right, made)``: how many predictions were right, of those made.

    Parameters
    ----------
    results : iterable of bool or None
        Per step: True (right at the first check), False (wrong, or the
        answer shown before checking), None (not yet predicted).

    Examples
    --------
    >>> tally([True, False, None, True])
    (2, 3)
    """
    made = [result for result in results if result is not None]
    return sum(made), len(made)
