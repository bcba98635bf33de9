"""The names a link uses for a view: one table, a tolerant reader and a writer.

A link is a public contract: teachers paste it into slides and worksheets, so
its names must keep working for years. :data:`PIPELINE` and :data:`BLOCK` are
the one table of URL names. Each entry says which spec field(s) it maps, how
to read and write its value, its default and what it allows.

:func:`parse_link` never refuses a link. A bad or out-of-range value falls back
to its own default and is reported as a :class:`Rejection` (data, not a
sentence: the UI words it); every other value is kept; unknown names are
ignored, so a learning platform may append its own. Names written by earlier
versions (``kernel_size=``, ``padding_mode=``, ``source=``, ...) are read too.
:func:`spec_to_query` writes only what differs from the defaults, so the
seed's own view is the bare address.

Block settings (kernel, filters, ...) are read and written through
:func:`block_values` and :func:`build_spec`. Block 1 uses the names of
:data:`BLOCK`; block *i* the same names with ``_i`` appended
(``kernel_2=3&filters_2=8&stride_3=2``), and ``blocks`` says how many there
are. A later block's defaults are what adding it in the sidebar gives
(:func:`cnn_core.spec.new_block` of the block before), so a link writes only
what a student changed.

Examples
--------
>>> spec_to_query(PipelineSpec.single(kernel_size=5, stride=2, padding_mode="same"))
{'kernel': '5', 'stride': '2', 'padding': 'same'}
>>> state = parse_link({"Kernel": " 5 ", "mode": "grayscale", "kernel_size": "7", "lms_id": "x"})
>>> state.spec.blocks[0].kernel_size, state.spec.color_mode, state.rejected
(5, 'grayscale', ())
>>> spec_to_query(PipelineSpec.single(filters=8).with_depth(3).replace_block(2, stride=2))
{'blocks': '3', 'filters': '8', 'stride_3': '2'}
>>> [(r.name, r.value, r.default) for r in parse_link({"kernel": "banana"}).rejected]
[('kernel', 'banana', '15')]
"""

from __future__ import annotations

import dataclasses
import re
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from cnn_core.errors import SpecError
from cnn_core.explain import counted
from cnn_core.i18n import LANGUAGES, Message
from cnn_core.images import DEFAULT_SAMPLE, SAMPLES
from cnn_core.kernels import (
    MAX_WEIGHT,
    WEIGHTS,
    choice_filters,
    choice_sizes,
    fit_kernel_size,
    format_weights,
    parse_weights,
    size_message,
)
from cnn_core.kernels.learned import LEARNED, portable_block
from cnn_core.spec import (
    ACTIVATIONS,
    LIMITS,
    MAX_BLOCKS,
    POOLINGS,
    BlockSpec,
    PipelineSpec,
    new_block,
)

__all__ = [
    "BLOCK",
    "BLOCKS",
    "OLD_NAMES",
    "PIPELINE",
    "Allowed",
    "LinkName",
    "LinkState",
    "Rejection",
    "block_values",
    "build_spec",
    "is_link_name",
    "parse_link",
    "pipeline_values",
    "rejection_message",
    "spec_to_query",
]


@dataclass(frozen=True)
class Allowed:
    """What a URL name accepts, as data for the UI to put into words.

    Attributes
    ----------
    kind : str
        "integer": a whole number from ``low`` to ``high``. "choice": one of
        ``choices``. "padding": one of ``choices`` or a whole number from
        ``low`` to ``high``. "http_url": an ``http://`` or ``https://`` address.
        "number": a number from ``low`` to ``high``. "numbers": comma-separated
        numbers, ``low`` of them (k*k) or any square count when ``low`` is None.
        "numbers_custom": numbers read only with ``weights=custom``.
        "needs_w": ``weights=custom`` without the ``w`` of ``low`` numbers.
        "bias_random": a bias, read only with weights other than random.
        "kernel_size": a size the kernel choice has; ``choices`` holds the
        sentence saying so in English, ``note`` in any language.
        "filters_fixed": the kernel choice ``choices[0]`` (a ``weights``
        value) fixes the filter count to ``low``.
    low, high : int or None
    choices : tuple of str
    note : Message or None
    """

    kind: str
    low: int | None = None
    high: int | None = None
    choices: tuple = ()
    note: Message | None = None


@dataclass(frozen=True)
class Rejection:
    """One value of a link that could not be used.

    Attributes
    ----------
    name : str
        The name as the link wrote it (an old name stays old).
    value : str
        The value as the link wrote it.
    allowed : Allowed
        What the name accepts.
    default : str
        The value used instead, as a link would write it; ``""`` when the
        name is simply left out (``url``, ``lock``, ``pool_stride``).
    """

    name: str
    value: str
    allowed: Allowed
    default: str


@dataclass(frozen=True)
class LinkName:
    """One entry of the names table.

    Attributes
    ----------
    name : str
        The URL name.
    fields : tuple of str
        What it sets: spec fields for PIPELINE and BLOCK entries, except
        ``image``, ``url`` and ``lock``, which set :class:`LinkState`'s
        ``sample``, ``url`` and ``lock``.
    parse : callable
        Normalised text -> tuple of field values; raises ValueError.
    format : callable
        Field values -> text.
    default : tuple
        Field values when the name is absent.
    allowed : Allowed
    """

    name: str
    fields: tuple
    parse: Callable[[str], tuple]
    format: Callable[..., str]
    default: tuple
    allowed: Allowed


@dataclass(frozen=True)
class LinkState:
    """Everything a link says.

    Attributes
    ----------
    spec : PipelineSpec
    sample : str
        The sample's slug (a ``skimage.data`` function name).
    url : str or None
        An image address for the "URL" source; the sample is the fallback.
    lock : bool
        Projector mode: settings come from the link only.
    rejected : tuple of Rejection
        Values that could not be used, in table order.
    lang : str or None
        The language the link asks for; None lets the browser choose.
    """

    spec: PipelineSpec
    sample: str
    url: str | None
    lock: bool
    rejected: tuple
    lang: str | None = None


_DEFAULT_SPEC = PipelineSpec()
_DEFAULT_BLOCK = BlockSpec()
_SLUGS = tuple(SAMPLES.values())
#: Sample slugs, and for old links the sidebar's labels, lower-cased.
_SAMPLE_NAMES = {slug: slug for slug in _SLUGS} | {
    label.lower(): slug for label, slug in SAMPLES.items()
}
_INTEGER = re.compile(r"[+-]?[0-9]{1,12}")


def _integer(field):
    low, high = LIMITS[field]

    def parse(text):
        if not _INTEGER.fullmatch(text):
            raise ValueError(text)
        value = int(text)
        if not low <= value <= high:
            raise ValueError(text)
        return (value,)

    return parse


def _key(text):
    """``leaky relu``, ``leaky-relu`` and ``leaky_relu`` are one name."""
    return re.sub(r"[\s-]+", "_", text)


def _choice(mapping):
    mapping = {_key(name): value for name, value in mapping.items()}

    def parse(text):
        key = _key(text)
        if key not in mapping:
            raise ValueError(text)
        return (mapping[key],)

    return parse


def _int_entry(name, field, default=_DEFAULT_SPEC):
    low, high = LIMITS[field]
    return LinkName(
        name,
        (field,),
        _integer(field),
        str,
        (getattr(default, field),),
        Allowed("integer", low, high),
    )


def _parse_padding(text):
    if text in ("valid", "same"):
        return text, 0
    (padding,) = _integer("padding")(text)
    return "explicit", padding


def _format_padding(mode, padding):
    return str(padding) if mode == "explicit" else mode


def _parse_pool_stride(text):
    return (None,) if text == "" else _integer("pool_stride")(text)


def _parse_url(text):
    parts = urllib.parse.urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(text)
    return (text,)


def _parse_flag(text):
    if text not in ("0", "1"):
        raise ValueError(text)
    return (text == "1",)


def _format_flag(value):
    return "1" if value else "0"


def _parse_bias(text):
    try:
        (value,) = parse_weights(text, 1)
    except SpecError:
        raise ValueError(text) from None
    return (value,)


def _parse_custom(text):
    try:
        return (parse_weights(text),)
    except SpecError:
        raise ValueError(text) from None


def _parse_blocks(text):
    if not _INTEGER.fullmatch(text) or not 1 <= int(text) <= MAX_BLOCKS:
        raise ValueError(text)
    return (int(text),)


_COLOR = {"gray": "grayscale", "grayscale": "grayscale", "rgb": "rgb"}
_COLOR_NAMES = {"grayscale": "gray", "rgb": "rgb"}

#: Names that describe the whole pipeline: image, input and link options.
PIPELINE = (
    LinkName(
        "image",
        ("sample",),
        _choice(_SAMPLE_NAMES),
        str,
        (SAMPLES[DEFAULT_SAMPLE],),
        Allowed("choice", choices=_SLUGS),
    ),
    LinkName(
        "mode",
        ("color_mode",),
        _choice(_COLOR),
        _COLOR_NAMES.get,
        (_DEFAULT_SPEC.color_mode,),
        Allowed("choice", choices=("gray", "rgb")),
    ),
    _int_entry("size", "input_size"),
    LinkName(
        "scale",
        ("scale_01",),
        _parse_flag,
        _format_flag,
        (_DEFAULT_SPEC.scale_01,),
        Allowed("choice", choices=("0", "1")),
    ),
    LinkName("url", ("url",), _parse_url, str, (None,), Allowed("http_url")),
    LinkName(
        "lock", ("lock",), _parse_flag, _format_flag, (False,), Allowed("choice", choices=("1",))
    ),
    LinkName(
        "lang",
        ("lang",),
        _choice({code: code for code in LANGUAGES}),
        str,
        (None,),
        Allowed("choice", choices=tuple(LANGUAGES)),
    ),
)

#: How many blocks: written only when there is more than one.
BLOCKS = LinkName(
    "blocks",
    ("depth",),
    lambda text: _parse_blocks(text),
    str,
    (1,),
    Allowed("integer", 1, MAX_BLOCKS),
)

#: Names that describe one conv block (conv, activation, pooling, seed); block
#: 1 uses them as they are, block i with "_i" appended.
BLOCK = (
    _int_entry("kernel", "kernel_size", _DEFAULT_BLOCK),
    _int_entry("filters", "filters", _DEFAULT_BLOCK),
    _int_entry("stride", "stride", _DEFAULT_BLOCK),
    LinkName(
        "padding",
        ("padding_mode", "padding"),
        _parse_padding,
        _format_padding,
        (_DEFAULT_BLOCK.padding_mode, _DEFAULT_BLOCK.padding),
        Allowed("padding", *LIMITS["padding"], choices=("valid", "same")),
    ),
    _int_entry("dilation", "dilation", _DEFAULT_BLOCK),
    LinkName(
        "activation",
        ("activation",),
        _choice({name: name for name in ACTIVATIONS}),
        str,
        (_DEFAULT_BLOCK.activation,),
        Allowed("choice", choices=tuple(ACTIVATIONS)),
    ),
    LinkName(
        "pooling",
        ("pooling",),
        _choice({name: name for name in POOLINGS}),
        str,
        (_DEFAULT_BLOCK.pooling,),
        Allowed("choice", choices=tuple(POOLINGS)),
    ),
    _int_entry("pool", "pool_size", _DEFAULT_BLOCK),
    LinkName(
        "pool_stride",
        ("pool_stride",),
        _parse_pool_stride,
        lambda value: "" if value is None else str(value),
        (None,),
        Allowed("integer", *LIMITS["pool_stride"]),
    ),
    _int_entry("seed", "seed", _DEFAULT_BLOCK),
    LinkName(
        "weights",
        ("weights",),
        _choice({name: name for name in WEIGHTS}),
        str,
        (_DEFAULT_BLOCK.weights,),
        Allowed("choice", choices=tuple(WEIGHTS)),
    ),
    LinkName(
        "bias",
        ("bias",),
        _parse_bias,
        lambda value: format_weights((value,)),
        (_DEFAULT_BLOCK.bias,),
        Allowed("number", -MAX_WEIGHT, MAX_WEIGHT),
    ),
    LinkName(
        "w",
        ("custom",),
        _parse_custom,
        format_weights,
        (_DEFAULT_BLOCK.custom,),
        Allowed("numbers"),
    ),
)

#: Names written by earlier versions -> today's names. ``padding_mode`` and
#: an old ``padding`` (the explicit p) together become today's ``padding``.
OLD_NAMES = {
    "source": "image",
    "color_mode": "mode",
    "input_size": "size",
    "scale_01": "scale",
    "kernel_size": "kernel",
    "padding_mode": "padding",
    "pool_size": "pool",
}

#: Names whose default is to be absent: a bad value is simply left out.
_LEFT_OUT = ("url", "lock", "lang", "pool_stride", "w")
_NAMES = {entry.name for entry in (*PIPELINE, BLOCKS, *BLOCK)}
_BLOCK_NAMES = {entry.name for entry in BLOCK}
_PIPELINE_FIELDS = tuple(
    field
    for entry in PIPELINE
    for field in entry.fields
    if field not in ("sample", "url", "lock", "lang")
)
_BLOCK_FIELDS = tuple(field for entry in BLOCK for field in entry.fields)


def pipeline_values(spec):
    """The spec fields that PIPELINE names carry.

    Examples
    --------
    >>> pipeline_values(PipelineSpec())
    {'color_mode': 'grayscale', 'input_size': 512, 'scale_01': False}
    """
    return {field: getattr(spec, field) for field in _PIPELINE_FIELDS}


def block_values(spec):
    """The BLOCK fields of each block of ``spec``, first block first.

    Examples
    --------
    >>> [values["kernel_size"] for values in block_values(PipelineSpec().with_depth(2))]
    [15, 3]
    """
    return [{field: getattr(block, field) for field in _BLOCK_FIELDS} for block in spec.blocks]


def build_spec(pipeline, blocks):
    """Build a spec from PIPELINE field values and one dict of BLOCK values per block.

    The inverse of :func:`pipeline_values` and :func:`block_values`.

    Examples
    --------
    >>> spec = PipelineSpec.single(filters=4).with_depth(3)
    >>> build_spec(pipeline_values(spec), block_values(spec)) == spec
    True
    """
    return PipelineSpec(**pipeline, blocks=tuple(BlockSpec(**block) for block in blocks))


def _suffixed(name):
    """``kernel_2`` -> ("kernel", 1); None for a name that is not a later block's."""
    base, _, number = name.rpartition("_")
    if base in _BLOCK_NAMES and number.isdigit() and 2 <= int(number) <= MAX_BLOCKS:
        return base, int(number) - 1
    return None


def _block_entries(index, previous):
    """BLOCK's entries for block ``index`` (0-based): suffixed names, and the
    defaults that adding the block after ``previous`` gives."""
    if index == 0:
        return BLOCK
    default = new_block(previous)
    return tuple(
        dataclasses.replace(
            entry,
            name=f"{entry.name}_{index + 1}",
            default=tuple(getattr(default, field) for field in entry.fields),
        )
        for entry in BLOCK
    )


def is_link_name(name):
    """Whether ``name`` (any case, spaces around) is one of ours, today's or an old one.

    Examples
    --------
    >>> is_link_name(" Kernel_Size"), is_link_name("utm_source"), is_link_name("Stride_3")
    (True, False, True)
    """
    name = str(name).strip().lower()
    return name in _NAMES or name in OLD_NAMES or _suffixed(name) is not None


def _formatted(entry, values):
    return entry.format(*values)


def spec_to_query(spec, *, sample=None, url=None, lock=False, lang=None):
    """The link's query for a view: only what differs from the defaults.

    Parameters
    ----------
    spec : PipelineSpec
    sample : str, optional
        A sample's slug; the default sample is not written.
    url : str, optional
        An image address (the "URL" source).
    lock : bool
        Write ``lock=1``.
    lang : str, optional
        A language code to write (``lang=zh``); None writes none.

    Returns
    -------
    dict of str to str
        In table order, ``lock`` last.

    Examples
    --------
    >>> spec_to_query(PipelineSpec())
    {}
    >>> spec_to_query(PipelineSpec.single(color_mode="rgb", filters=8), sample="coffee", lock=True)
    {'image': 'coffee', 'mode': 'rgb', 'filters': '8', 'lock': '1'}
    """
    # A session's own trained kernels stay in the session: the link opens the committed model's.
    spec = spec.replace(blocks=tuple(portable_block(block) for block in spec.blocks))
    current = pipeline_values(spec) | {"sample": sample, "url": url, "lock": lock, "lang": lang}
    query = {}
    for entry in PIPELINE:
        values = tuple(current[field] for field in entry.fields)
        if values[0] is None or entry.name == "lock":
            continue
            continue
        if _formatted(entry, values) != _formatted(entry, entry.default):
            query[entry.name] = _formatted(entry, values)
    if spec.depth > 1:
        query[BLOCKS.name] = str(spec.depth)
    previous = None
    for index, (block, values_of) in enumerate(zip(spec.blocks, block_values(spec), strict=True)):
        for entry in _block_entries(index, previous):
            values = tuple(values_of[field] for field in entry.fields)
            if _formatted(entry, values) != _formatted(entry, entry.default):
                query[entry.name] = _formatted(entry, values)
        previous = block
    if lock:
        query["lock"] = "1"
    return query


def _normalise(query):
    """Names stripped and lower-cased, one text value each (the last one)."""
    raw = {}
    for name, value in dict(query).items():
        if isinstance(value, list | tuple):
            if not value:
                continue
            value = value[-1]
        if value is None:
            continue
        raw[str(name).strip().lower()] = str(value)
    return raw


def _today(raw):
    """Today's name -> (name as written, value as written), old names translated.

    A name written today wins over its old spelling. In an old link, ``padding``
    was the explicit p and ``padding_mode`` said whether it applied.
    """
    found = {
        name: (name, value)
        for name, value in raw.items()
        if name in _NAMES or _suffixed(name) is not None
    }
    old_padding = "padding_mode" in raw
    if old_padding:
        mode = raw["padding_mode"]
        written = ("padding_mode", mode)
        if mode.strip().lower() == "explicit":
            written = ("padding", raw.get("padding", "0"))
        found["padding"] = written
    for old, new in OLD_NAMES.items():
        if old in raw and old != "padding_mode" and new not in raw:
            found[new] = (old, raw[old])
    for name in [name for name in found if name.startswith("pool_stride")]:
        if found[name][1] == "":
            del found[name]
    return found


def _read(entry, found, values, rejected):
    if entry.name not in found:
        values.update(zip(entry.fields, entry.default, strict=True))
        return
    written, text = found[entry.name]
    normal = text.strip() if entry.name == "url" else text.strip().lower()
    try:
        parsed = entry.parse(normal)
    except ValueError:
        parsed = entry.default
        base = (_suffixed(entry.name) or (entry.name,))[0]
        default = "" if base in _LEFT_OUT else _formatted(entry, entry.default)
        rejected.append(Rejection(written, text, entry.allowed, default))
    values.update(zip(entry.fields, parsed, strict=True))


def parse_link(query):
    """Read a link's query, keeping every good value and reporting the rest.

    Parameters
    ----------
    query : Mapping of str to str (or list of str)
        For example ``st.query_params.to_dict()``. Names and values ignore
        case and surrounding spaces (except the ``url``, whose path may
        need its case); a repeated name counts once, with its last value.

    Returns
    -------
    LinkState
        Never raises for any text: a value that cannot be used falls back
        to its default and is listed in ``rejected``; unknown names are
        ignored.

    Examples
    --------
    >>> state = parse_link({"padding": "3", "image": "Coffee", "lock": "1"})
    >>> state.spec.blocks[0].padding_mode, state.spec.blocks[0].padding, state.sample, state.lock
    ('explicit', 3, 'coffee', True)
    >>> parse_link({"kernel_size": "5", "padding_mode": "same"}).spec == PipelineSpec.single(
    ...     kernel_size=5, padding_mode="same")
    True
    """
    if not isinstance(query, Mapping):
        query = dict(query)
    found = _today(_normalise(query))
    rejected = []
    pipeline = {}
    for entry in PIPELINE:
        _read(entry, found, pipeline, rejected)
    depth = {}
    _read(BLOCKS, found, depth, rejected)
    blocks, previous = [], None
    for index in range(depth["depth"]):
        block = {}
        for entry in _block_entries(index, previous):
            _read(entry, found, block, rejected)
        _fit_kernel_choice(block, found, rejected, "" if index == 0 else f"_{index + 1}")
        blocks.append(block)
        previous = BlockSpec(**block)
    sample, url, lock = pipeline.pop("sample"), pipeline.pop("url"), pipeline.pop("lock")
    lang = pipeline.pop("lang")
    spec = build_spec(pipeline, blocks)
    return LinkState(spec, sample, url, lock, tuple(rejected), lang)


def _fit_kernel_choice(block, found, rejected, suffix=""):
    """Make one block's kernel settings fit its "Kernel" choice, reporting changes.

    A custom kernel whose ``w`` is not k*k numbers falls back to Random; a
    preset at a size it does not exist at moves to the nearest size it has; a
    bias with random weights, or a ``w`` without ``weights=custom``, is left
    out; a choice other than Random sets its own filter count, and a
    different ``filters`` in the link is reported.
    """
    weights, size = block["weights"], block["kernel_size"]
    if weights == "custom" and len(block["custom"]) != size * size:
        if "w" + suffix in found:
            written, text = found["w" + suffix]
            allowed = Allowed("numbers", size * size)
        else:
            # No w at all: the line names the weights the link did write.
            written, text = found["weights" + suffix]
            allowed = Allowed("needs_w", size * size)
        # One line for this w, saying what it needed and what happens instead.
        rejected[:] = [r for r in rejected if r.name != written]
        rejected.append(Rejection(written, text, allowed, f"weights{suffix}=random"))
        weights = block["weights"] = "random"
    elif weights != "custom" and block["custom"]:
        written, text = found["w" + suffix]
        rejected.append(Rejection(written, text, Allowed("numbers_custom"), ""))
    if weights != "custom":
        block["custom"] = ()
    if weights in ("random", LEARNED):  # a learned layer keeps the biases it learned
        if block["bias"] != 0 and weights == "random":
            written, text = found["bias" + suffix]
            rejected.append(Rejection(written, text, Allowed("bias_random"), "0"))
        block["bias"] = 0.0
    if weights == "random":
        return
    sizes = choice_sizes(weights)
    fitted = fit_kernel_size(sizes, size)
    if fitted != size:
        note = size_message(weights, size, fitted)
        written, text = found.get("kernel" + suffix, ("kernel" + suffix, str(size)))
        rejected.append(
            Rejection(
                written,
                text,
                Allowed("kernel_size", choices=(note.render("en"),), note=note),
                str(fitted),
            )
        )
        block["kernel_size"] = fitted
    fixed = choice_filters(weights)
    written, text = found.get("filters" + suffix, (None, None))
    already = any(r.name == written for r in rejected)
    if written is not None and block["filters"] != fixed and not already:
        rejected.append(
            Rejection(written, text, Allowed("filters_fixed", fixed, fixed, (weights,)), str(fixed))
        )
    block["filters"] = fixed


def _allowed_message(allowed):
    key = "links.allowed."
    if allowed.kind == "number":
        return Message.of(key + "number", low=allowed.low, high=allowed.high)
    if allowed.kind == "needs_w":
        return Message.of(key + "needs_w", count=allowed.low)
    if allowed.kind == "numbers":
        if allowed.low is None:
            return Message.of(key + "numbers_any")
        return Message.of(key + "numbers", count=allowed.low)
    if allowed.kind in ("numbers_custom", "bias_random", "http_url"):
        return Message.of(key + allowed.kind)
    if allowed.kind in ("integer", "padding"):
        return Message.of(key + allowed.kind, low=allowed.low, high=allowed.high)
    if len(allowed.choices) == 1:
        return Message.of(key + "one", choice=allowed.choices[0])
    choices = ", ".join(f"`{choice}`" for choice in allowed.choices)
    return Message.of(key + "one_of", choices=choices)


def rejection_message(rejection):
    """What to say about a value of a link that could not be used.

    Parameters
    ----------
    rejection : Rejection

    Returns
    -------
    Message

    Examples
    --------
    >>> [rejection] = parse_link({"kernel": "99"}).rejected
    >>> rejection_message(rejection).render("en")
    '`kernel=99` is not a whole number between 1 and 31, so the default 15 is used.'
    >>> rejection_message(rejection).render("zh")
    '`kernel=99` 不是 1 到 31 之间的整数，因此使用默认值 15。'
    """
    if rejection.allowed.kind == "kernel_size" and rejection.allowed.note is not None:
        return rejection.allowed.note
    value = rejection.value.replace("`", "'")
    value = value if len(value) <= 40 else value[:39] + "…"
    shown = value if value.strip() else Message.of("links.rejected.empty")
    if rejection.allowed.kind == "filters_fixed":
        return counted(
            "links.rejected.filters_fixed",
            rejection.allowed.low,
            name=rejection.name,
            value=shown,
            weights=rejection.allowed.choices[0],
            default=rejection.default,
        )
    numbers = {
        "name": rejection.name,
        "value": shown,
        "allowed": _allowed_message(rejection.allowed),
    }
    if rejection.default:
        return Message.of("links.rejected.default", default=rejection.default, **numbers)
    return Message.of("links.rejected.ignored", **numbers)
