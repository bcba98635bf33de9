"""The Lesson page: one step of a guided lesson at a time, predict then reveal.

The steps, their settings and their answers are :mod:`cnn_core.lessons`; the
words are the catalogue's ``lessons.*``. This module keeps the student's place
and predictions in session state, draws the step with the Feature-maps
page's own stage drawing (:mod:`ui.stages`), and keeps ``lesson`` and
``step`` in the address bar.
"""

from __future__ import annotations

import dataclasses

import streamlit as st

from cnn_core.images import DEFAULT_SAMPLE
from cnn_core.kernels import filter_labels, flat_kernels
from cnn_core.lessons import (
    LESSONS,
    channel_swap,
    check,
    kernel_sum,
    lesson_query,
    parse_lesson_link,
    step_facts,
    tally,
)
from ui import cached
from ui.i18n import labels, lang, say, t
from ui.page import plan_layer, start_page
from ui.stages import TILES_PER_PAGE, markdown_table, stage_section, summary_table

#: Widget key of the lesson select; session keys of the step and the predictions.
LESSON = "lesson_choice"
STEP = "lesson_step"
RESULTS = "_lesson_results"
#: The lesson, kept apart from the widget, whose state ends when another page is shown.
_CHOSEN = "_lesson_index"
_LINK_READ = "_lesson_link_read"


def guess_key(lesson, step):
    """Widget key of the prediction input of a step (0-based indices)."""
    return f"lesson_guess_{lesson + 1}_{step + 1}"


def _read_link():
    """Take lesson and step from the link once per session."""
    if st.session_state.get(_LINK_READ):
        return ()
    st.session_state[_LINK_READ] = True
    link = parse_lesson_link(st.query_params.to_dict())
    st.session_state[_CHOSEN] = link.lesson
    st.session_state[STEP] = link.step
    return link.rejected


def _lesson_changed():
    st.session_state[_CHOSEN] = st.session_state[LESSON]
    st.session_state[STEP] = 0


def _move(delta):
    count = len(LESSONS[st.session_state[LESSON]].steps)
    st.session_state[STEP] = min(max(st.session_state[STEP] + delta, 0), count - 1)


def _results():
    return st.session_state.setdefault(RESULTS, {})


def _check(lesson, step_index):
    """ "Check": judge the typed number; the first check of a step counts in the tally."""
    guess = st.session_state.get(guess_key(lesson, step_index))
    entry = _results().setdefault((lesson, step_index), {"first": None})
    if guess is None:
        entry["missing"] = True
        return
    entry.update(guess=guess, revealed=True, missing=False)
    if entry["first"] is None:
        entry["first"] = check(LESSONS[lesson].steps[step_index], guess).right


def _show(lesson, step_index):
    """ "Show answer": reveal; a step revealed before any check counts as missed."""
    entry = _results().setdefault((lesson, step_index), {"first": None})
    entry.update(revealed=True, missing=False)
    if entry["first"] is None:
        entry["first"] = False


def _kernel_tiles(spec):
    """The extra arguments of a block-1 stage's drawing, as Feature maps passes them."""
    block = spec.blocks[0]
    return {
        "activation": block.activation,
        "kernels": flat_kernels(cached.kernels_for(spec, 0)[0]),
        "filter_names": filter_labels(block.weights, block.filters, lang()),
    }


def _draw_stage(selection, step, key):
    """The step's stage, drawn exactly as the Feature maps page draws it."""
    spec = step.spec
    plan = plan_layer(selection)
    stage = plan.stage(key)
    if stage is None:
        return
    stages = cached.stages_for(selection.image_key, spec, selection.image)
    extra = {} if key == "input" else _kernel_tiles(spec)
    tiles = range(min(stage.shape[2], TILES_PER_PAGE))
    stage_section(stage, stages[key], tiles, **extra)


def _draw_output(selection, step):
    """What the step shows: the app's real output for its spec."""
    if step.shows == "photo":
        st.image(selection.image, width=451)
    elif step.shows == "grayscale":
        swap = channel_swap(selection.image)
        left, right = st.columns(2)
        left.image(swap.correct, caption=t("lessons.swap.correct"), width="stretch")
        right.image(swap.swapped, caption=t("lessons.swap.swapped"), width="stretch")
        st.markdown(
            t(
                "lessons.swap.result",
                largest=swap.largest,
                mean=f"{swap.mean:.1f}",
                changed=f"{swap.changed:.1%}",
            )
        )
    elif step.shows == "summary":
        summary_table(plan_layer(selection))
    elif step.shows == "error":
        plan_layer(selection)
        st.caption(t("lessons.error_note"))
    else:
        _draw_stage(selection, step, step.shows)


def _facts(selection, step):
    """The numbers the step's text uses: the engine's, plus the forward pass's."""
    facts = step_facts(step, selection.image.shape)
    if step.key == "feature_map":
        facts["kernel_sum"] = f"{kernel_sum(cached.kernels_for(step.spec, 0)[0]):.3g}"
    if step.shows == "activation":
        stages = cached.stages_for(selection.image_key, step.spec, selection.image)
        facts["zeros"] = f"{stages['activation'].zero_fraction:.1%}"
    return facts


def _verdict(lesson, step_index, step):
    """Say how the prediction went; return whether the answer is revealed."""
    entry = _results().get((lesson, step_index), {})
    if entry.get("missing"):
        st.warning(t("lessons.no_guess"))
    if not entry.get("revealed"):
        return False
    guess = entry.get("guess")
    verdict = check(step, 0 if guess is None else guess)
    answer = str(verdict.answer)
    if guess is None:
        st.info(t("lessons.shown", answer=answer))
    elif verdict.right:
        st.success(t("lessons.right", answer=answer), icon=":material/check_circle:")
        return True
    else:
        guessed = f"{verdict.guess:.10g}"
        if verdict.diagnosis is None:
            text = t("lessons.wrong", guess=guessed, answer=answer)
        else:
            text = t("lessons.not_quite", answer=answer) + " " + say(verdict.diagnosis)
        st.error(text, icon=":material/lightbulb:")
        st.markdown(markdown_table((t("lessons.you"), t("lessons.formula")), [(guessed, answer)]))
    st.markdown(t("lessons.worked_intro"))
    st.code("\n".join(say(line) for line in verdict.worked), language=None, wrap_lines=True)
    return True


def _prediction(lesson, step_index, step, facts):
    """The question, the number input, Check and Show answer; True once revealed."""
    st.markdown(f"**{t(f'lessons.{LESSONS[lesson].key}.{step.key}.question', **facts)}**")
    left, check_column, show_column = st.columns([3, 1, 1], vertical_alignment="bottom")
    left.number_input(
        t("lessons.guess.label"),
        value=None,
        step=1.0,
        format="%g",
        key=guess_key(lesson, step_index),
        help=t("lessons.guess.help"),
    )
    check_column.button(
        t("lessons.check"),
        key="lesson_check",
        type="primary",
        on_click=_check,
        args=(lesson, step_index),
        width="stretch",
    )
    show_column.button(
        t("lessons.show"),
        key="lesson_show",
        on_click=_show,
        args=(lesson, step_index),
        width="stretch",
    )
    return _verdict(lesson, step_index, step)


def _tally():
    right, made = tally(entry.get("first") for entry in _results().values())
    if made:
        st.caption(t("lessons.tally", right=right, made=made))
    else:
        st.caption(t("lessons.tally_none"))


def _sync_link(lesson, step_index):
    """Keep ``lesson`` and ``step`` in the address bar (the sidebar keeps names
    that are not its own, so its link and these live side by side)."""
    for name, value in lesson_query(lesson, step_index).items():
        if st.query_params.get(name) != value:
            st.query_params[name] = value


def _show_rejections(rejected):
    for rejection in rejected:
        st.warning(
            t(
                "lessons.link_rejected",
                name=rejection.name,
                value=rejection.value,
                high=rejection.allowed.high,
                default=rejection.default,
            ),
            icon=":material/link_off:",
        )


def render():
    """Draw the Lesson page."""
    selection = start_page("lessons.nav")
    rejected = _read_link()
    st.title(t("lessons.title"))
    st.caption(t("lessons.intro"))
    _show_rejections(rejected)
    st.session_state[LESSON] = st.session_state.get(_CHOSEN, 0)
    st.selectbox(
        t("lessons.choose.label"),
        range(len(LESSONS)),
        format_func=labels(lambda index: t(f"lessons.{LESSONS[index].key}.title")),
        key=LESSON,
        on_change=_lesson_changed,
        help=t("lessons.choose.help"),
    )
    lesson = st.session_state[LESSON]
    steps = LESSONS[lesson].steps
    step_index = min(st.session_state.get(STEP, 0), len(steps) - 1)
    st.session_state[STEP] = step_index
    step = steps[step_index]
    st.progress(
        (step_index + 1) / len(steps),
        text=t("lessons.progress", step=step_index + 1, total=len(steps)),
    )
    _tally()
    cat = cached.sample_image(DEFAULT_SAMPLE)
    selection = dataclasses.replace(
        selection,
        spec=step.spec,
        image=cat,
        image_label=DEFAULT_SAMPLE,
        image_key=f"sample:{DEFAULT_SAMPLE}",
        color_scale="per stage",
    )
    facts = _facts(selection, step) if step.asks is None else step_facts(step, cat.shape)
    prefix = f"lessons.{LESSONS[lesson].key}.{step.key}"
    st.subheader(t(f"{prefix}.title", **facts))
    st.markdown(t(f"{prefix}.body", **facts))
    revealed = step.asks is None or _prediction(lesson, step_index, step, facts)
    if revealed:
        _draw_output(selection, step)
    back, _, forward = st.columns([1, 4, 1])
    back.button(
        t("lessons.back"),
        key="lesson_back",
        on_click=_move,
        args=(-1,),
        disabled=step_index == 0,
        icon=":material/arrow_back:",
        width="stretch",
    )
    forward.button(
        t("lessons.next"),
        key="lesson_next",
        on_click=_move,
        args=(1,),
        disabled=step_index == len(steps) - 1,
        icon=":material/arrow_forward:",
        width="stretch",
    )
    _sync_link(lesson, step_index)
