"""Two settings side by side: B as differences from A, and which numbers differ.

The Compare page shows A (the sidebar's spec) and B (A with a few changes) on
the same image. This module says everything the page marks:

* :func:`b_query` and :func:`b_spec` write and read B as its differences from
  A, with a ``b_`` prefix on the link table's names (``b_padding=same``), each
  value parsed and formatted by its own :class:`~cnn_core.links.LinkName`;
* :data:`QUICK` and :func:`quick_spec`: the "Quick comparisons", each A with
  one change;
* :func:`stage_differences`, :func:`table_cells` and :func:`aligned_lines`:
  which stage numbers, summary cells and formula numbers differ;
* :func:`shared_range`: one colour range per stage for both halves.

Examples
--------
>>> from cnn_core.spec import PipelineSpec
>>> a = PipelineSpec()
>>> b = quick_spec(a, "padding")
>>> b_query(a, b)
{'b_padding': 'same'}
>>> b_spec(a, {"b_padding": "same", "lesson": "1"})[0] == b
True
"""

from __future__ import annotations

import dataclasses
import difflib
import itertools
import re

import numpy as np

from cnn_core.color_scale import tile_ranges
from cnn_core.errors import CallError, ConvlabError
from cnn_core.kernels import choice_filters
from cnn_core.links import BLOCK, PIPELINE, Rejection
from cnn_core.shapes import summary_rows

__all__ = [
    "B_NAMES",
    "PREFIX",
    "QUICK",
    "STAGE_NUMBERS",
    "aligned_lines",
    "b_query",
    "b_spec",
    "edit_b",
    "quick_spec",
    "shared_range",
    "stage_differences",
    "table_cells",
]

#: What B's names start with in a link.
PREFIX = "b_"
#: The link names B may differ by: the input's and block 1's.
B_NAMES = tuple(entry for entry in PIPELINE if entry.name in ("mode", "size", "scale")) + BLOCK
#: Pipeline fields B_NAMES set (the rest are block 1's).
_INPUT_FIELDS = ("color_mode", "input_size", "scale_01")


def _values(spec):
    """Field -> value of the input and block 1."""
    values = {field: getattr(spec, field) for field in _INPUT_FIELDS}
    return values | dataclasses.asdict(spec.blocks[0])


def _build(spec_a, values):
    """A's spec with the input and block 1 set from ``values``.

    A kernel choice with its own filter count gets it, as the sidebar does.
    """
    block = {name: values[name] for name in dataclasses.asdict(spec_a.blocks[0])}
    if block["weights"] not in ("random", "custom"):
        block["filters"] = choice_filters(block["weights"])
    if block["weights"] == "random":
        block["bias"] = 0.0
    if block["weights"] != "custom":
        block["custom"] = ()
    spec = spec_a.replace(**{field: values[field] for field in _INPUT_FIELDS})
    return spec.replace_block(0, **block)


def b_query(spec_a, spec_b):
    """B's link names: each of :data:`B_NAMES` whose value differs from A's.

    Parameters
    ----------
    spec_a, spec_b : PipelineSpec

    Returns
    -------
    dict of str to str
        ``{"b_<name>": value}`` in table order, formatted as a link writes it.
    """
    a, b = _values(spec_a), _values(spec_b)
    query = {}
    for entry in B_NAMES:
        text_a = entry.format(*(a[field] for field in entry.fields))
        text_b = entry.format(*(b[field] for field in entry.fields))
        if text_a != text_b:
            query[PREFIX + entry.name] = text_b
    return query


def b_spec(spec_a, query):
    """B from A and a link's ``b_`` names; other names are ignored.

    Parameters
    ----------
    spec_a : PipelineSpec
    query : Mapping of str to str

    Returns
    -------
    spec_b : PipelineSpec
    rejected : tuple of Rejection
        Values that could not be used (named as the link wrote them); A's
        value is used instead. When the values together make no valid spec,
        all of them are rejected and B is A.

    Examples
    --------
    >>> from cnn_core.spec import PipelineSpec
    >>> spec, rejected = b_spec(PipelineSpec(), {"b_stride": "2", "b_kernel": "99"})
    >>> spec.blocks[0].stride, spec.blocks[0].kernel_size, [r.name for r in rejected]
    (2, 15, ['b_kernel'])
    """
    found = {str(name).strip().lower(): str(value) for name, value in dict(query).items()}
    values, rejected, used = _values(spec_a), [], []
    for entry in B_NAMES:
        name = PREFIX + entry.name
        if name not in found:
            continue
        text = found[name]
        normal = text.strip().lower()
        default = entry.format(*(values[field] for field in entry.fields))
        try:
            parsed = entry.parse(normal)
        except ValueError:
            rejected.append(Rejection(name, text, entry.allowed, default))
            continue
        values.update(zip(entry.fields, parsed, strict=True))
        used.append((name, text, entry.allowed, default))
    try:
        return _build(spec_a, values), tuple(rejected)
    except ConvlabError:
        rejected += [Rejection(*item) for item in used]
        return spec_a, tuple(rejected)


def edit_b(spec_a, spec_b, **changes):
    """B with some input or block-1 fields changed (the page's compact controls).

    Raises
    ------
    ConvlabError
        When the changed B is not a valid spec.

    Examples
    --------
    >>> from cnn_core.spec import PipelineSpec
    >>> a = PipelineSpec()
    >>> b_query(a, edit_b(a, a, stride=2, color_mode="rgb"))
    {'b_mode': 'rgb', 'b_stride': '2'}
    """
    values = _values(spec_b)
    unknown = set(changes) - set(values)
    if unknown:
        raise CallError("compare.internal.fields", fields=sorted(unknown))
    return _build(spec_a, values | changes)


#: Quick comparisons: name -> (field, A's value that flips to the other, the other).
QUICK = {
    "padding": ("padding_mode", "valid", "same"),
    "stride": ("stride", 1, 2),
    "pooling": ("pooling", "max", "average"),
    "activation": ("activation", "relu", "none"),
    "kernel": ("kernel_size", 15, 3),
    "color": ("color_mode", "grayscale", "rgb"),
}


def quick_spec(spec_a, name):
    """A with the one change of quick comparison ``name``.

    If A already has the first value of the pair, B gets the second, else
    the first (A ``same`` gives B ``valid``). A kernel size the kernel
    choice does not have falls back to random weights.

    Examples
    --------
    >>> from cnn_core.spec import PipelineSpec
    >>> quick_spec(PipelineSpec(), "kernel").blocks[0].kernel_size
    3
    >>> quick_spec(PipelineSpec.single(stride=4), "stride").blocks[0].stride
    1
    """
    field, first, second = QUICK[name]
    values = _values(spec_a)
    values[field] = second if values[field] == first else first
    if field == "padding_mode":
        values["padding"] = 0
    try:
        return _build(spec_a, values)
    except ConvlabError:
        values.update(weights="random", filters=spec_a.blocks[0].filters, bias=0.0)
        return _build(spec_a, values)


#: The numbers of a stage that :func:`stage_differences` compares.
STAGE_NUMBERS = ("shape", "params", "macs")


def stage_differences(plan_a, plan_b):
    """Which numbers of each stage differ between two plans.

    Returns
    -------
    dict of str to tuple of str
        Stage key -> the names in :data:`STAGE_NUMBERS` that differ, or
        ``("missing",)`` when only one plan has the stage; stages of either
        plan, A's order first.

    Examples
    --------
    >>> from cnn_core.shapes import plan_pipeline
    >>> from cnn_core.spec import PipelineSpec
    >>> a = plan_pipeline(PipelineSpec())
    >>> stage_differences(a, plan_pipeline(PipelineSpec.single(padding_mode="same")))
    {'input': (), 'conv': ('shape', 'macs'), 'activation': ('shape',), 'pool': ('shape',)}
    """
    keys = [stage.key for stage in plan_a.stages]
    keys += [stage.key for stage in plan_b.stages if stage.key not in keys]
    differences = {}
    for key in keys:
        a, b = plan_a.stage(key), plan_b.stage(key)
        if a is None or b is None:
            differences[key] = ("missing",)
        else:
            differences[key] = tuple(
                name for name in STAGE_NUMBERS if getattr(a, name) != getattr(b, name)
            )
    return differences


def table_cells(plan_a, plan_b):
    """The two model summaries' rows, aligned by stage, each cell marked.

    Returns
    -------
    list of (tuple, tuple)
        Per stage of either plan (A's order first), A's and B's cells as
        ``(text, differs)`` pairs from :func:`cnn_core.shapes.summary_rows`
        (name, output shape, parameters); a side without the stage has
        ``("", True)`` cells.
    """
    rows_a = dict(zip((s.key for s in plan_a.stages), summary_rows(plan_a), strict=True))
    rows_b = dict(zip((s.key for s in plan_b.stages), summary_rows(plan_b), strict=True))
    keys = list(rows_a) + [key for key in rows_b if key not in rows_a]
    table = []
    for key in keys:
        a, b = rows_a.get(key, ("", "", "")), rows_b.get(key, ("", "", ""))
        marks = [cell_a != cell_b for cell_a, cell_b in zip(a, b, strict=True)]
        table.append((tuple(zip(a, marks, strict=True)), tuple(zip(b, marks, strict=True))))
    return table


_NUMBER = r"\d+(?:,\d{3})*(?:\.\d+)?"
_TOKEN = re.compile(rf"{_NUMBER}|[A-Za-z_]+|\s+|.")


def _tokens(line):
    return _TOKEN.findall(line)


def _skeleton(line):
    """A line with its numbers blanked, to pair lines that say the same thing."""
    return re.sub(_NUMBER, "#", line)


def _segments(tokens, flags):
    """Join neighbouring tokens with the same flag: ``[(text, differs), ...]``."""
    segments = []
    for flag, group in itertools.groupby(zip(tokens, flags, strict=True), key=lambda x: x[1]):
        segments.append(("".join(token for token, _ in group), flag))
    return segments


def _line_pair(line_a, line_b):
    """Both lines as segments, tokens that differ from the other line marked.

    Whitespace is never marked.
    """
    a, b = _tokens(line_a), _tokens(line_b)
    flags_a, flags_b = [False] * len(a), [False] * len(b)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        for i in range(i1, i2):
            flags_a[i] = not a[i].isspace()
        for j in range(j1, j2):
            flags_b[j] = not b[j].isspace()
    return _segments(a, flags_a), _segments(b, flags_b)


def aligned_lines(lines_a, lines_b):
    """Pair A's and B's formula lines row by row, marking what differs.

    Lines that say the same thing (the same text once numbers are blanked)
    sit on one row; within a row, every token that differs is marked. A
    line only one side has sits beside None.

    Parameters
    ----------
    lines_a, lines_b : sequence of str

    Returns
    -------
    list of (list or None, list or None)
        Per row, each side's segments ``[(text, differs), ...]`` or None.

    Examples
    --------
    >>> rows = aligned_lines(["(512 - 15)/1 + 1 = 498", "params = 226"], ["params = 226"])
    >>> rows[0][1] is None, rows[1]
    (True, ([('params = 226', False)], [('params = 226', False)]))
    >>> aligned_lines(["ceil(512/1) = 512"], ["ceil(512/2) = 256"])[0][1]
    [('ceil(512/', False), ('2', True), (') = ', False), ('256', True)]
    """
    rows = []
    skeletons_a = [_skeleton(line) for line in lines_a]
    skeletons_b = [_skeleton(line) for line in lines_b]
    matcher = difflib.SequenceMatcher(None, skeletons_a, skeletons_b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        block_a, block_b = lines_a[i1:i2], lines_b[j1:j2]
        for line_a, line_b in itertools.zip_longest(block_a, block_b):
            if line_a is None:
                rows.append((None, [(line_b, True)]))
            elif line_b is None:
                rows.append(([(line_a, True)], None))
            elif tag == "equal" or tag == "replace":
                rows.append(_line_pair(line_a, line_b))
    return rows


def shared_range(channel_ranges, signed):
    """One colour range for a stage of both settings.

    Parameters
    ----------
    channel_ranges : iterable of (array_like, array_like)
        Each side's per-channel minima and maxima (:class:`StageMaps`'s
        ``channel_min`` and ``channel_max``).
    signed : bool
        Diverging colours, symmetric around zero.

    Returns
    -------
    list of (ndarray, ndarray)
        Per side, ``low`` and ``high`` of shape (C,), all equal to the
        range over both sides.

    Examples
    --------
    >>> (a, b) = shared_range([([0.0], [2.0]), ([-1.0, 0.0], [1.0, 5.0])], signed=False)
    >>> a[0].tolist(), a[1].tolist(), b[1].tolist()
    ([-1.0], [5.0], [5.0, 5.0])
    """
    channel_ranges = [
        (np.asarray(low, np.float64), np.asarray(high, np.float64)) for low, high in channel_ranges
    ]
    lows = np.concatenate([low for low, _ in channel_ranges])
    highs = np.concatenate([high for _, high in channel_ranges])
    low, high = tile_ranges("per stage", lows, highs, signed)
    return [(np.full(len(a), low[0]), np.full(len(a), high[0])) for a, _ in channel_ranges]
