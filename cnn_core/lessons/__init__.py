"""Guided lessons: the steps as data, the answers from the engine, the link names.

A lesson is a list of :class:`Step` (:mod:`cnn_core.lessons.steps`); each
names the spec it shows, what it draws and what it asks the student to
predict. :func:`answer` computes the answer from :mod:`cnn_core.geometry`,
:func:`check` judges a prediction and explains a wrong one. The words are in
the catalogue (``lessons.toml``); :func:`step_facts` gives them their numbers.
The link carries the lesson and the step (``lesson=1&step=4``, both
1-based): :data:`LINK_NAMES` and :func:`parse_lesson_link`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnn_core.images import preprocessing_shapes
from cnn_core.lessons.answers import Verdict, answer, check, numbers, tally
from cnn_core.lessons.grayscale import ChannelSwap, channel_swap
from cnn_core.lessons.steps import ASKS, LESSONS, SHOWS, Lesson, Step
from cnn_core.links import Allowed, LinkName, Rejection

__all__ = [
    "ASKS",
    "LESSONS",
    "LINK_NAMES",
    "SHOWS",
    "ChannelSwap",
    "Lesson",
    "LessonLink",
    "Step",
    "Verdict",
    "answer",
    "channel_swap",
    "check",
    "kernel_sum",
    "lesson_query",
    "numbers",
    "parse_lesson_link",
    "step_facts",
    "tally",
]


def _shape(shape):
    return "(" + ", ".join(map(str, shape)) + ")"


def step_facts(step, image_shape):
    """The numbers a step's text may use, as the text shows them.

    Parameters
    ----------
    step : Step
    image_shape : tuple of int
        The photo's shape as loaded.

    Returns
    -------
    dict of str to object
        :func:`numbers` and the preprocessing shapes: ``original``,
        ``converted``, ``resized``, ``batch`` (text such as ``(300, 451, 3)``),
        ``height``, ``width``, and ``resize_call``, the seed's OpenCV call (code,
        the same in every language).

    Examples
    --------
    >>> facts = step_facts(LESSONS[0].steps[0], (300, 451, 3))
    >>> facts["original"], facts["batch"], facts["k"]
    ('(300, 451, 3)', '(1, 512, 512, 1)', 15)
    """
    original, converted, resized, batch = preprocessing_shapes(image_shape, step.spec)
    n = step.spec.input_size
    return numbers(step) | {
        "original": _shape(original),
        "converted": _shape(converted),
        "resized": _shape(resized),
        "batch": _shape(batch),
        "resize_call": f"cv2.resize(gray, ({n}, {n}), interpolation=cv2.INTER_AREA)",
        "height": image_shape[0],
        "width": image_shape[1],
    }


def kernel_sum(kernel):
    """The sum of one filter's weights (over all input channels), as a float.

    A random kernel whose weights add up to more than zero acts like a
    blurring average plus noise, so the cat still shows in its map.

    Examples
    --------
    >>> kernel_sum(np.ones((3, 3, 1, 2)) / 9)
    1.0
    """
    return float(np.asarray(kernel, np.float64)[..., 0].sum())


#: The names a lesson link adds: which lesson and which step, both 1-based.
#: They are not in :data:`cnn_core.links.PIPELINE` on purpose: the sidebar's
#: link writer keeps names that are not its own, so these ride along.
LINK_NAMES = (
    LinkName(
        "lesson",
        ("lesson",),
        lambda text: (_index(text, len(LESSONS)),),
        lambda index: str(index + 1),
        (0,),
        Allowed("integer", 1, len(LESSONS)),
    ),
    LinkName(
        "step",
        ("step",),
        lambda text: (_index(text, max(len(lesson.steps) for lesson in LESSONS)),),
        lambda index: str(index + 1),
        (0,),
        Allowed("integer", 1, max(len(lesson.steps) for lesson in LESSONS)),
    ),
)


def _index(text, count):
    if not text.strip().isdigit() or not 1 <= int(text) <= count:
        raise ValueError(text)
    return int(text) - 1


@dataclass(frozen=True)
class LessonLink:
    """What a link says about the lessons: 0-based indices and rejected values."""

    lesson: int
    step: int
    rejected: tuple


def parse_lesson_link(query):
    """Read ``lesson`` and ``step`` from a link's query, never refusing it.

    A bad value falls back to the first lesson or step and is reported as a
    :class:`~cnn_core.links.Rejection`; a step past the lesson's end is too.

    Examples
    --------
    >>> parse_lesson_link({"lesson": "1", "step": "4"})
    LessonLink(lesson=0, step=3, rejected=())
    >>> link = parse_lesson_link({"lesson": "2", "step": "9"})
    >>> link.step, [(r.name, r.value, r.default) for r in link.rejected]
    (0, [('step', '9', '1')])
    """
    found = {str(name).strip().lower(): value for name, value in dict(query).items()}
    values, rejected = {}, []
    for entry in LINK_NAMES:
        text = found.get(entry.name)
        if isinstance(text, list | tuple):
            text = text[-1] if text else None
        if text is None:
            values[entry.name] = entry.default[0]
            continue
        count = len(LESSONS) if entry is LINK_NAMES[0] else len(LESSONS[values["lesson"]].steps)
        try:
            values[entry.name] = _index(str(text), count)
        except ValueError:
            values[entry.name] = entry.default[0]
            allowed = Allowed("integer", 1, count)
            rejected.append(Rejection(entry.name, str(text), allowed, entry.format(0)))
    return LessonLink(values["lesson"], values["step"], tuple(rejected))


def lesson_query(lesson, step):
    """The link's names for a lesson's step (0-based indices).

    Examples
    --------
    >>> lesson_query(0, 3)
    {'lesson': '1', 'step': '4'}
    """
    return {
        entry.name: entry.format(index)
        for entry, index in zip(LINK_NAMES, (lesson, step), strict=True)
    }
