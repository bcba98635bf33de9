"""Lessons: answers against Keras's own layers, the diagnosis of common wrong
answers, the channel swap, the link names, the texts in both languages, and
every step of every lesson under AppTest."""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from cnn_core.i18n import LANGUAGES, catalogue, translate
from cnn_core.images import DEFAULT_SAMPLE, load_sample
from cnn_core.lessons import (
    LESSONS,
    LINK_NAMES,
    answer,
    channel_swap,
    check,
    kernel_sum,
    lesson_query,
    parse_lesson_link,
    step_facts,
    tally,
)
from cnn_core.links import is_link_name
from cnn_core.shapes import plan_pipeline

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
PAGE = "pages/4_Lesson.py"
CAT = load_sample(DEFAULT_SAMPLE)
ASKING = [
    pytest.param(lesson, index, step, id=f"{lesson.key}-{step.key}")
    for lesson in LESSONS
    for index, step in enumerate(lesson.steps)
    if step.asks is not None
]


def _step(lesson_key, step_key):
    lesson = next(lesson for lesson in LESSONS if lesson.key == lesson_key)
    return next(step for step in lesson.steps if step.key == step_key)


# -- answers against Keras ------------------------------------------------------


def _keras_answer(step):
    """The step's answer as Keras's own layers compute it."""
    import keras

    spec, block = step.spec, step.spec.blocks[0]
    n, p = spec.input_size, block.explicit_padding
    shape = (1, n + 2 * p, n + 2 * p, spec.channels)
    conv = keras.layers.Conv2D(
        block.filters, block.kernel_size, strides=block.stride, padding=block.keras_padding
    )
    out = conv.compute_output_shape(shape)
    if step.asks == "conv_side":
        return out[1]
    if step.asks == "conv_depth":
        return out[3]
    if step.asks == "conv_params":
        conv.build(shape)
        return conv.count_params()
    pool = keras.layers.MaxPooling2D(block.pool_size, strides=block.effective_pool_stride)
    return pool.compute_output_shape(out)[1]


@pytest.mark.parametrize(("lesson", "index", "step"), ASKING)
def test_every_answer_is_what_keras_computes(lesson, index, step):
    expected = answer(step)
    if expected <= 0:
        # The setting that cannot be computed: Keras refuses it too.
        with pytest.raises(ValueError, match=r"negative|zero"):
            _keras_answer(step)
        assert plan_pipeline(step.spec).error is not None
        return
    assert expected == _keras_answer(step)


def test_the_seed_lesson_asks_what_the_issue_names():
    steps = {step.key: step for step in LESSONS[0].steps}
    assert [answer(steps[key]) for key in ("conv_side", "params", "pool")] == [498, 226, 249]
    assert len(LESSONS[0].steps) == 10
    assert _step("filters_channels", "rgb").spec.channels == 3
    assert answer(_step("stride_padding", "stride")) == 249  # floor(497 / 2) + 1
    assert answer(_step("stride_padding", "too_large")) <= 0


# -- wrong answers -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("lesson", "step", "guess", "diagnosis"),
    [
        ("one_layer", "conv_side", 497, "plus_one"),
        ("one_layer", "conv_side", 512, "valid_keeps"),
        ("one_layer", "params", 225, "bias"),
        ("one_layer", "pool", 498, "pool_none"),
        ("stride_padding", "stride", 249.5, "floor"),
        ("stride_padding", "stride", 497, "stride_none"),
        ("stride_padding", "stride", 498, "stride_none"),
        ("one_layer", "pool", 496, "stride_none"),
        ("one_layer", "pool", 248, "plus_one_stride"),
        ("stride_padding", "stride", 248, "plus_one_stride"),
        ("stride_padding", "stride", 250, "ceil"),
        ("stride_padding", "same_1", 498, "same_valid"),
        ("stride_padding", "same_2", 512, "same_stride"),
        ("stride_padding", "explicit", 498, "explicit_none"),
        ("stride_padding", "explicit", 501, "explicit_one_side"),
        ("filters_channels", "rgb", 675, "bias"),
        ("filters_channels", "rgb", 226, "channels"),
        ("filters_channels", "filters", 1, "depth_channels"),
        ("filters_channels", "kernels", 10, "one_filter"),
    ],
)
def test_a_common_wrong_answer_gets_its_diagnosis(lesson, step, guess, diagnosis):
    verdict = check(_step(lesson, step), guess)
    assert not verdict.right
    assert verdict.diagnosis is not None and verdict.diagnosis.key.endswith(f".{diagnosis}")
    for lang in LANGUAGES:
        text = verdict.diagnosis.render(lang)
        assert re.sub(r"\.0\b", "", str(guess)) in text, text


def test_the_issue_example_reads_as_written():
    verdict = check(_step("one_layer", "conv_side"), 497)
    assert verdict.diagnosis.render("en") == (
        "You said 497: that is 512 - 15, but the formula adds 1 because the first window "
        "starts at 0."
    )


@pytest.mark.parametrize(("lesson", "index", "step"), ASKING)
def test_the_worked_formula_ends_in_the_answer_and_a_stray_guess_gets_no_diagnosis(
    lesson, index, step
):
    right = check(step, answer(step))
    assert right.right and right.diagnosis is None
    worked = [line.render("en") for line in right.worked]
    assert worked[0].endswith(f"= {answer(step)}"), worked
    stray = check(step, answer(step) + 1000)
    assert not stray.right and stray.diagnosis is None
    assert stray.guess == answer(step) + 1000


def test_tally_counts_first_checks():
    assert tally([]) == (0, 0)
    assert tally([True, False, None, True, True]) == (3, 4)


# -- the seed's channel swap ---------------------------------------------------------


def test_channel_swap_on_the_cat_matches_opencv():
    swap = channel_swap(CAT)
    assert swap.correct.shape == swap.swapped.shape == (300, 451)
    np.testing.assert_array_equal(swap.correct, cv2.cvtColor(CAT, cv2.COLOR_RGB2GRAY))
    # BGR2RGB then RGB2GRAY on an RGB image is BGR2GRAY on it: red and blue swapped.
    np.testing.assert_array_equal(swap.swapped, cv2.cvtColor(CAT, cv2.COLOR_BGR2GRAY))
    difference = np.abs(swap.correct.astype(int) - swap.swapped.astype(int))
    assert swap.largest == difference.max() > 0
    assert 0 < swap.changed <= 1


def test_channel_swap_refuses_a_gray_image():
    with pytest.raises(TypeError, match="RGB"):
        channel_swap(np.zeros((4, 4), np.uint8))


def test_kernel_sum_is_the_first_filters_sum():
    kernel = np.arange(18, dtype=np.float32).reshape(3, 3, 1, 2)
    assert kernel_sum(kernel) == float(kernel[..., 0].sum())


# -- link names ------------------------------------------------------------------


def test_lesson_and_step_are_kept_by_the_sidebars_link_writer():
    # ui.links.sync_url keeps every name that is not one of the sidebar's own.
    for entry in LINK_NAMES:
        assert not is_link_name(entry.name)
    assert lesson_query(0, 3) == {"lesson": "1", "step": "4"}


@pytest.mark.parametrize(
    ("query", "lesson", "step", "rejected"),
    [
        ({}, 0, 0, []),
        ({"lesson": "1", "step": "4"}, 0, 3, []),
        ({"Lesson": " 3 ", "STEP": "2"}, 2, 1, []),
        ({"lesson": "9", "step": "2"}, 0, 1, ["lesson"]),
        ({"lesson": "2", "step": "6"}, 1, 0, ["step"]),
        ({"lesson": "x", "step": "-1"}, 0, 0, ["lesson", "step"]),
        ({"lesson": ["1", "2"]}, 1, 0, []),
    ],
)
def test_parse_lesson_link(query, lesson, step, rejected):
    link = parse_lesson_link(query)
    assert (link.lesson, link.step) == (lesson, step)
    assert [rejection.name for rejection in link.rejected] == rejected


def test_readme_lists_the_lesson_and_compare_link_names():
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## Links\n", 1)[1].split("\n## ", 1)[0]
    for entry in LINK_NAMES:
        assert re.search(rf"^\| (`\w+`, )*`{entry.name}`", section, re.M), entry.name
    assert "`b_padding=same`" in section
    assert "lesson=1&step=4" in section


# -- texts -------------------------------------------------------------------------


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_every_step_has_its_texts_and_they_format_with_the_engines_numbers(lang):
    extras = {"kernel_sum": "1.2", "zeros": "40%"}
    for lesson in LESSONS:
        assert translate(lang, f"lessons.{lesson.key}.title")
        for step in lesson.steps:
            facts = step_facts(step, CAT.shape) | extras
            parts = ("title", "body", "question") if step.asks else ("title", "body")
            for part in parts:
                text = translate(lang, f"lessons.{lesson.key}.{step.key}.{part}", **facts)
                assert text and "{" not in text
            if not step.asks:
                assert f"lessons.{lesson.key}.{step.key}.question" not in catalogue(lang)


def test_no_answer_is_typed_into_the_lesson_text():
    english = catalogue("en")
    for lesson in LESSONS:
        for step in lesson.steps:
            if step.asks is None:
                continue
            prefix = f"lessons.{lesson.key}.{step.key}."
            texts = " ".join(text for key, text in english.items() if key.startswith(prefix))
            assert not re.search(rf"\b{answer(step)}\b", texts), (step.key, texts)


# -- the page under AppTest ----------------------------------------------------------


def open_lesson(lang="en", **query):
    at = AppTest.from_file(APP, default_timeout=180)
    at.session_state["lang"] = lang
    for name, value in query.items():
        at.query_params[name] = value
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _texts(elements):
    return "\n".join(str(element.value) for element in elements)


def _predict(at, lesson_index, step_index, guess):
    at.number_input(key=f"lesson_guess_{lesson_index + 1}_{step_index + 1}").set_value(guess)
    at.button(key="lesson_check").click().run()
    assert not at.exception, [e.value for e in at.exception]


@pytest.mark.parametrize("lesson_index", range(len(LESSONS)))
def test_every_step_of_every_lesson_under_apptest(lesson_index):
    lesson = LESSONS[lesson_index]
    at = open_lesson(lesson=str(lesson_index + 1))
    made = right = 0
    for index, step in enumerate(lesson.steps):
        assert at.session_state["lesson_step"] == index
        assert at.query_params["lesson"] == str(lesson_index + 1)
        assert at.query_params["step"] == str(index + 1)
        if step.asks is not None:
            assert "lesson_check" in [button.key for button in at.button]
            # The answer stays hidden until the student checks.
            assert str(answer(step)) not in _texts(at.success) + _texts(at.error)
            _predict(at, lesson_index, index, answer(step) + 1000)
            made += 1
            assert "Not quite" in _texts(at.error)
            assert f"**{answer(step)}**" in _texts(at.error)
            assert str(answer(step) + 1000) in _texts(at.markdown)
            _predict(at, lesson_index, index, answer(step))
            assert f"Right: **{answer(step)}**" in _texts(at.success)
            assert f"{right} of {made} predictions right" in _texts(at.caption)
        if step.shows == "error":
            expected = plan_pipeline(step.spec, CAT.shape).error
            assert str(expected) in _texts(at.error)
        elif step.shows in ("input", "conv", "activation", "pool"):
            assert at.get("plotly_chart"), step.key
        if index < len(lesson.steps) - 1:
            at.button(key="lesson_next").click().run()
            assert not at.exception, [e.value for e in at.exception]
    assert at.button(key="lesson_next").disabled


def test_show_answer_reveals_and_counts_as_missed():
    at = open_lesson(lesson="1", step="6")
    at.button(key="lesson_show").click().run()
    assert "The answer is **226**." in _texts(at.info)
    assert "params = f·(k·k·c) + f = 1·(15·15·1) + 1 = 226" in _texts(at.code)
    assert "0 of 1 predictions right" in _texts(at.caption)


def test_the_seed_steps_show_the_engines_numbers():
    at = open_lesson(lesson="1", step="2")
    body = _texts(at.markdown)
    assert "(300, 451)" in body
    largest = channel_swap(CAT).largest
    assert f"**{largest}** gray levels" in body
    at.button(key="lesson_back").click().run()
    assert "(300, 451, 3)" in _texts(at.markdown)
    assert at.button(key="lesson_back").disabled


def test_a_bad_link_is_named_and_the_page_works():
    at = open_lesson(lesson="7", step="banana")
    warnings = _texts(at.warning)
    assert "`lesson=7`" in warnings and "`step=banana`" in warnings
    assert at.session_state["lesson_step"] == 0


def test_the_lesson_page_in_chinese():
    at = open_lesson(lang="zh", lesson="1", step="5")
    _predict(at, 0, 4, 497)
    errors = _texts(at.error)
    assert "你的答案是 497：这是 512 - 15" in errors
    assert "不对" in errors
    assert "预测正确 0 次，共 1 次" in _texts(at.caption)


@pytest.mark.parametrize("lesson_index", range(len(LESSONS)))
def test_every_step_in_chinese_leaves_no_english(lesson_index):
    from tests.test_i18n_ui import english_left

    lesson = LESSONS[lesson_index]
    at = open_lesson(lang="zh", lesson=str(lesson_index + 1))
    found = {}
    for index, step in enumerate(lesson.steps):
        if step.asks is not None:
            at.button(key="lesson_show").click().run()
            assert not at.exception, [e.value for e in at.exception]
        left = english_left(at)
        if left:
            found[step.key] = left
        if index < len(lesson.steps) - 1:
            at.button(key="lesson_next").click().run()
    assert found == {}
