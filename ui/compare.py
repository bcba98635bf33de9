"""The Compare page: setting A (the sidebar's) and setting B side by side.

B is A with a few changes, edited here with compact controls or picked from
"Quick comparisons". B is kept as its differences from A (the ``b_`` link
names of :mod:`cnn_core.compare`), so when A changes in the sidebar, B keeps
its differences, and the address bar can share the comparison. Every number
and every mark (which cells and formula numbers differ, the shared colour
range) comes from :mod:`cnn_core.compare`; the stages are drawn with the
Feature-maps page's figure builder.
"""

from __future__ import annotations

import dataclasses

import streamlit as st

from cnn_core.color_scale import is_signed
from cnn_core.compare import (
    PREFIX,
    QUICK,
    aligned_lines,
    b_query,
    b_spec,
    edit_b,
    quick_spec,
    shared_range,
    stage_differences,
    table_cells,
)
from cnn_core.errors import ConvlabError
from cnn_core.figures import sampling_note, stage_figure
from cnn_core.kernels import filter_labels, flat_kernels
from cnn_core.shapes import block_summary, summary_columns
from cnn_core.spec import (
    ACTIVATIONS,
    COLOR_MODES,
    LIMITS,
    PADDING_MODES,
    POOLINGS,
    activation_label,
    pooling_label,
)
from ui import cached
from ui.charts import plotly_chart
from ui.feature_maps import cost_guard
from ui.i18n import labels, lang, say, t
from ui.links import locked
from ui.page import plan_layer, start_page
from ui.sidebar import image_title
from ui.stages import TILES_PER_PAGE, content_key, markdown_table, shape_text, tile_names

#: Session keys: B's differences from A (b_ link names), the A they were last
#: applied to, and a refusal of the last edit.
DIFFERENCE = "_compare_difference"
_A = "_compare_a"
_EDIT_ERROR = "_compare_edit_error"
#: B's compact controls: spec field -> widget key.
CONTROLS = {
    field: f"compare_b_{field}"
    for field in (
        "color_mode",
        "input_size",
        "kernel_size",
        "filters",
        "stride",
        "padding_mode",
        "padding",
        "activation",
        "pooling",
        "pool_size",
    )
}
_MARKDOWN_SPECIAL = str.maketrans({char: "\\" + char for char in "\\`*_[]<>|~$#"})


def _first_difference(spec_a):
    """B's differences on the first visit: the link's ``b_`` names, else valid vs same."""
    query = st.query_params.to_dict()
    if any(name.strip().lower().startswith(PREFIX) for name in query):
        spec_b, rejected = b_spec(spec_a, query)
        for rejection in rejected:
            st.warning(
                t(
                    "compare.link_rejected",
                    name=rejection.name,
                    value=rejection.value,
                    default=rejection.default,
                ),
                icon=":material/link_off:",
            )
        return b_query(spec_a, spec_b)
    return b_query(spec_a, quick_spec(spec_a, "padding"))


def _quick(name):
    spec_a = st.session_state[_A]
    st.session_state[DIFFERENCE] = b_query(spec_a, quick_spec(spec_a, name))
    st.session_state[_EDIT_ERROR] = None


def _edited():
    """A compact control changed: fold every control's value into B."""
    spec_a = st.session_state[_A]
    spec_b = b_spec(spec_a, st.session_state[DIFFERENCE])[0]
    changes = {field: st.session_state[key] for field, key in CONTROLS.items()}
    try:
        st.session_state[DIFFERENCE] = b_query(spec_a, edit_b(spec_a, spec_b, **changes))
        st.session_state[_EDIT_ERROR] = None
    except ConvlabError as error:
        st.session_state[_EDIT_ERROR] = error


def _controls(spec_b):
    """B's settings in two compact rows; every value is re-assigned from B first."""
    block = spec_b.blocks[0]
    values = {"color_mode": spec_b.color_mode, "input_size": spec_b.input_size}
    values |= {field: getattr(block, field) for field in CONTROLS if hasattr(block, field)}
    for field, key in CONTROLS.items():
        st.session_state[key] = values[field]
    common = {"on_change": _edited}
    top = st.columns(5)
    top[0].selectbox(
        t("compare.b.color_mode"),
        list(COLOR_MODES),
        format_func=labels(lambda mode: t(f"compare.color.{mode}")),
        key=CONTROLS["color_mode"],
        **common,
    )
    numbers = ("input_size", "kernel_size", "filters", "stride")
    for column, field in zip(top[1:], numbers, strict=True):
        low, high = LIMITS[field]
        column.number_input(t(f"compare.b.{field}"), low, high, key=CONTROLS[field], **common)
    bottom = st.columns(5)
    bottom[0].selectbox(
        t("compare.b.padding_mode"),
        list(PADDING_MODES),
        format_func=labels(lambda mode: t(f"compare.padding.{mode}")),
        key=CONTROLS["padding_mode"],
        **common,
    )
    bottom[1].number_input(
        t("compare.b.padding"),
        *LIMITS["padding"],
        key=CONTROLS["padding"],
        disabled=block.padding_mode != "explicit",
        **common,
    )
    bottom[2].selectbox(
        t("compare.b.activation"),
        list(ACTIVATIONS),
        format_func=labels(lambda name: say(activation_label(name))),
        key=CONTROLS["activation"],
        **common,
    )
    bottom[3].selectbox(
        t("compare.b.pooling"),
        list(POOLINGS),
        format_func=labels(lambda name: say(pooling_label(name))),
        key=CONTROLS["pooling"],
        **common,
    )
    bottom[4].number_input(
        t("compare.b.pool_size"),
        *LIMITS["pool_size"],
        key=CONTROLS["pool_size"],
        disabled=block.pooling == "none",
        **common,
    )


def _quick_buttons():
    st.caption(t("compare.quick.label"))
    with st.container(horizontal=True):  # wraps instead of cutting a long label
        for name in QUICK:
            st.button(
                t(f"compare.quick.{name}"),
                key=f"compare_quick_{name}",
                on_click=_quick,
                args=(name,),
            )


def _sync_link(difference):
    """Write B's differences into the address bar, dropping stale ``b_`` names."""
    current = st.query_params.to_dict()
    wanted = {n: v for n, v in current.items() if not n.lower().startswith(PREFIX)} | difference
    if current != wanted:
        st.query_params.from_dict(wanted)


def _escape(text):
    return str(text).translate(_MARKDOWN_SPECIAL)


def _marked(segments):
    """Segments as Markdown, the differing ones highlighted.

    A highlighted segment's spaces stay outside its ``**``: Markdown reads
    ``** = 7 top/left**`` (a formula's indented continuation line) as
    literal asterisks, not bold.
    """
    if segments is None:
        return ""
    return "".join(_highlighted(text) if differs else _escape(text) for text, differs in segments)


def _highlighted(text):
    text = str(text)
    core = text.strip()
    if not core:
        return _escape(text)
    lead, _, trail = text.partition(core)  # core starts where the leading spaces end
    return f"{_escape(lead)}:orange-background[**{_escape(core)}**]{_escape(trail)}"


def _summary_tables(plan_a, plan_b):
    rows = table_cells(plan_a, plan_b)
    columns = summary_columns(lang())[:3]
    for column, side in zip(st.columns(2), (0, 1), strict=True):
        column.markdown(
            markdown_table(columns, [[_marked([cell]) for cell in row[side]] for row in rows])
        )


def _formulas(stage_a, stage_b):
    """A's and B's formula lines, aligned row by row, differing numbers highlighted."""
    lines_a = list(stage_a.formulas_in(lang())) if stage_a else []
    lines_b = list(stage_b.formulas_in(lang())) if stage_b else []
    rows = aligned_lines(lines_a, lines_b)
    if rows:
        st.markdown(markdown_table(("A", "B"), [(_marked(a), _marked(b)) for a, b in rows]))


def _figure(spec, stage, maps, value_range, signed):
    """One side's tiles, as the Feature maps page draws them, in the shared range."""
    extra = {}
    if stage.block:
        index = stage.block - 1
        block = spec.blocks[index]
        if stage.kind == "conv":
            extra["kernels"] = flat_kernels(cached.kernels_for(spec, index)[0])
        names = tile_names(
            stage.key, maps.full_shape[2], filter_labels(block.weights, block.filters, lang())
        )
    else:
        names = tile_names(stage.key, maps.full_shape[2])
    shown = range(min(maps.full_shape[2], TILES_PER_PAGE))

    def build():
        return stage_figure(
            maps.display,
            maps.samples,
            maps.step,
            maps.full_shape[:2],
            value_range,
            names,
            tiles=shown,
            title=f"{shape_text(maps.full_shape)} · {sampling_note(maps.step, lang())}",
            display_ranges=(maps.channel_min, maps.channel_max),
            signed=signed,
            colorbar_title=t("figures.colorbar.value"),
            lang=lang(),
            **extra,
        )

    # Built once per content, as Feature maps does: an unchanged half is not rebuilt.
    parts = ("compare", stage.kind, names, list(shown), signed, lang())
    arrays = (*value_range, extra.get("kernels"))
    return cached.stage_chart(content_key(maps, parts, arrays), build)


def _activation(spec, stage):
    return spec.blocks[stage.block - 1].activation if stage.block else "relu"


def _stage_row(key, specs, plans, stages, differs):
    """One stage as two columns on one colour scale, then the aligned formulas."""
    pair = [plan.stage(key) for plan in plans]
    present = [stage for stage in pair if stage is not None]
    st.subheader(present[0].title_in(lang()), anchor=f"compare-{key.replace('_', '-')}")
    if differs:
        names = t("compare.separator").join(t(f"compare.number.{name}") for name in differs)
        st.caption(t("compare.differs", what=names))
    else:
        st.caption(t("compare.same"))
    signed = any(
        is_signed(stage.kind, _activation(spec, stage))
        for spec, stage in zip(specs, pair, strict=True)
        if stage is not None
    )
    maps = [
        side.get(key) if stage is not None else None
        for side, stage in zip(stages, pair, strict=True)
    ]
    ranges = shared_range([(m.channel_min, m.channel_max) for m in maps if m is not None], signed)
    ranges = iter(ranges)
    for column, spec, stage, side_maps, name in zip(
        st.columns(2), specs, pair, maps, ("a", "b"), strict=True
    ):
        with column:
            if side_maps is None:
                st.info(t("compare.not_computed"))
                continue
            st.markdown(f"**{name.upper()}** · `{stage.batch_shape}`")
            plotly_chart(
                _figure(spec, stage, side_maps, next(ranges), signed),
                key=f"compare_chart_{name}_{key}",
            )
    _formulas(*pair)


def _side_caption(spec):
    settings = " · ".join(
        block_summary(number, block, lang()) for number, block in enumerate(spec.blocks, 1)
    )
    return (
        f"{t(f'compare.color.{spec.color_mode}')}, {spec.input_size}x{spec.input_size} · {settings}"
    )


def render():
    """Draw the Compare page."""
    selection = start_page("compare.nav")
    spec_a = selection.spec
    st.title(t("compare.title"))
    st.caption(t("compare.intro", image=image_title(selection.image_label)))
    # A is the sidebar's: its error goes first, as on every page; B's sits in B's column.
    plan_a = plan_layer(selection)
    if DIFFERENCE not in st.session_state:
        st.session_state[DIFFERENCE] = _first_difference(spec_a)
    st.session_state[_A] = spec_a
    spec_b, _ = b_spec(spec_a, st.session_state[DIFFERENCE])
    st.session_state[DIFFERENCE] = b_query(spec_a, spec_b)
    if locked() is None:  # a projector's link fixes B as well as A
        _quick_buttons()
        with st.expander(t("compare.b.header"), expanded=True, icon=":material/tune:"):
            _controls(spec_b)
            if st.session_state.get(_EDIT_ERROR) is not None:
                st.error(say(st.session_state[_EDIT_ERROR]), icon=":material/error:")
    _sync_link(st.session_state[DIFFERENCE])

    specs = (spec_a, spec_b)
    plans = [plan_a]
    for column, name, spec in zip(st.columns(2), ("a", "b"), specs, strict=True):
        with column:
            st.markdown(f"**{t(f'compare.{name}.title')}**")
            st.caption(_side_caption(spec))
            if name == "b":
                plans.append(plan_layer(dataclasses.replace(selection, spec=spec)))
    st.subheader(t("compare.summary"))
    _summary_tables(*plans)
    if not all(cost_guard(spec) for spec in specs):
        return
    with st.spinner(t("compare.running")):
        stages = [cached.stages_for(selection.image_key, spec, selection.image) for spec in specs]
    for key, differs in stage_differences(*plans).items():
        if key.startswith("padding"):
            continue
        _stage_row(key, specs, plans, stages, differs)
