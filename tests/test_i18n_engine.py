"""The engine is language-neutral: every error carries a catalogue key, every
word it produces exists in English and Chinese, and the maths is the same in
both languages."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np
import pytest

from cnn_core import errors
from cnn_core.codegen import keras_script
from cnn_core.conv_step import activation_text, conv_step, pool_lines, pool_step
from cnn_core.conv_windows import padding_text, step_geometry, unused_text
from cnn_core.decode import describe_limits
from cnn_core.errors import ConvlabError, ShapeError, SpecError
from cnn_core.export import _CJK_FONTS
from cnn_core.figures import kernel_figure, sampling_note, stage_figure, tile_names
from cnn_core.guard import estimate_cost
from cnn_core.histogram import count_values, with_histogram
from cnn_core.i18n import DEFAULT_LANGUAGE, catalogue, placeholders, translate
from cnn_core.images import preprocessing_steps, sample_label
from cnn_core.kernels import choice_label, describe_choice, filter_labels, size_note
from cnn_core.links import parse_link, rejection_message
from cnn_core.shapes import block_summary, plan_pipeline, summary_columns
from cnn_core.spec import BlockSpec, PipelineSpec, activation_label, pooling_label
from cnn_core.step_figures import input_figure, step_grid_figure

ROOT = Path(__file__).resolve().parent.parent
ENGINE = ROOT / "cnn_core"
#: The error classes, by name.
ERROR_CLASSES = {
    name
    for name, value in vars(errors).items()
    if isinstance(value, type) and issubclass(value, ConvlabError)
}
#: The catalogue files the engine's words live in.
ENGINE_FILES = (
    "errors",
    "explain",
    "figures",
    "images",
    "kernels",
    "links",
    "codegen",
    "step",
    "guard",
)
#: Chinese texts that may read like the English: names, code and arithmetic.
SAME_IN_CHINESE = {
    "codegen.list_separator",
    "codegen.sentence_end",
    "explain.activation_name.elu",
    "explain.activation_name.leaky_relu",
    "explain.activation_name.relu",
    "explain.activation_name.sigmoid",
    "explain.activation_name.tanh",
    "explain.preprocess.rgb",
    "explain.summary.separator",
    "figures.tile.filter_channel",
    "kernels.preset.gabor",
    "kernels.source.sobel_x",
    "kernels.source.sobel_y",
    "links.allowed.one",
    "links.allowed.one_of",
    "errors.kernel.cells",
    "step.sentences",
}
_CJK = re.compile(r"[\u4e00-\u9fff]")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def _engine_sources():
    for path in sorted(ENGINE.rglob("*.py")):
        if "i18n" not in path.parts:
            yield path, ast.parse(path.read_text(), filename=str(path))


def _keys_in(node):
    """Catalogue keys a key argument can be: literal strings, both arms of an
    ``a if c else b``, and f-string prefixes (returned with a trailing ``*``)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _keys_in(node.body) + _keys_in(node.orelse)
    if isinstance(node, ast.JoinedStr):
        first = node.values[0]
        prefix = first.value if isinstance(first, ast.Constant) else ""
        return [prefix + "*"]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return [key.rstrip("*") + "*" for key in _keys_in(node.left)]
    return []


def _exists(key, english):
    if key.endswith("*"):
        return any(name.startswith(key[:-1]) for name in english)
    return key in english


def test_every_raised_engine_error_carries_a_catalogue_key():
    english = catalogue(DEFAULT_LANGUAGE)
    wrong = []
    for path, tree in _engine_sources():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            if node.func.id not in ERROR_CLASSES or not node.args:
                continue
            first = node.args[0]
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            if isinstance(first, ast.Name | ast.Call | ast.Attribute):
                continue  # a Message built elsewhere; its keys are checked below
            keys = _keys_in(first)
            if not keys or not all(_exists(key, english) for key in keys):
                wrong.append(f"{where}: {ast.unparse(first)[:60]}")
    assert wrong == []


def test_every_plain_python_error_in_the_engine_is_not_a_sentence():
    """ValueError/TypeError are raised only without words (a name passed
    through, as links' parsers do); everything with words is a ConvlabError."""
    sentences = []
    for path, tree in _engine_sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                func = node.exc.func
                if isinstance(func, ast.Name) and func.id in ("ValueError", "TypeError"):
                    args = node.exc.args
                    if args and isinstance(args[0], ast.Constant | ast.JoinedStr):
                        sentences.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert sentences == []


def test_every_key_the_engine_names_exists():
    english = catalogue(DEFAULT_LANGUAGE)
    calls = {"of", "translate", "counted", "Message", *ERROR_CLASSES}
    missing = []
    for path, tree in _engine_sources():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name not in calls:
                continue
            arg = node.args[1] if name == "translate" and len(node.args) > 1 else node.args[0]
            for key in _keys_in(arg):
                if name == "counted" and not key.endswith("*"):
                    key += ".one"  # its ".other" is written beside it in the catalogue
                if "." in key and not _exists(key, english):
                    missing.append(f"{path.relative_to(ROOT)}:{node.lineno}: {key}")
    assert missing == []


@pytest.mark.parametrize("stem", ENGINE_FILES)
def test_the_engine_catalogues_are_translated(stem):
    english, chinese = catalogue("en"), catalogue("zh")
    keys = [key for key in english if key.split(".")[0] == stem]
    assert keys
    untranslated = [
        key
        for key in keys
        if key not in SAME_IN_CHINESE
        and not _CJK.search(chinese[key])
        and re.search("[A-Za-z]{3}", re.sub(r"\{[^}]*\}", "", english[key]))
    ]
    assert untranslated == []
    # Words meant to stay the same are still words of both catalogues.
    assert all(key in english for key in SAME_IN_CHINESE)


@pytest.mark.parametrize(
    "key",
    [key for key in catalogue("en") if key.startswith("errors.") and key not in SAME_IN_CHINESE],
)
def test_every_error_renders_in_chinese(key):
    names = {name.split(".")[0].split("[")[0] for name in placeholders(catalogue("en")[key])}
    text = translate("zh", key, **dict.fromkeys(names, 7))
    assert text and _CJK.search(text), text


def test_a_spec_error_in_chinese():
    with pytest.raises(SpecError) as caught:
        BlockSpec(kernel_size=99)
    assert str(caught.value) == "Expected kernel_size between 1 and 31. Received: kernel_size=99"
    assert caught.value.render("zh") == "kernel_size 应在 1 到 31 之间。收到：kernel_size=99"


def test_a_shape_error_in_chinese_keeps_the_maths():
    plan = plan_pipeline(PipelineSpec.single(input_size=16, kernel_size=31))
    error = plan.error
    assert isinstance(error, ShapeError) and error.stage == "conv"
    zh = error.render("zh")
    assert "(16 + 2*0 - 31)/1 + 1 = -14" in zh and "(16 + 2*0 - 31)/1 + 1 = -14" in str(error)
    assert "卷积的输出尺寸将为零或负数" in zh and "31x31 的卷积核" in zh
    deep = plan_pipeline(PipelineSpec.single(input_size=16, kernel_size=3).with_depth(4))
    assert deep.error.render("zh").startswith("第 4 块：池化的输出尺寸将为零或负数")
    dilated = plan_pipeline(PipelineSpec.single(stride=2, dilation=2)).error
    assert dilated.render("zh").startswith("Keras 不能在同一个 Conv2D 中同时使用步幅 2 和膨胀 2")


SPECS = [
    PipelineSpec(),
    PipelineSpec.single(padding_mode="same", stride=3, dilation=1),
    PipelineSpec.single(kernel_size=3, dilation=4, padding_mode="same"),
    PipelineSpec.single(padding_mode="explicit", padding=3, pooling="average", pool_size=3),
    PipelineSpec.single(activation="leaky_relu", filters=4).with_depth(3),
    PipelineSpec.single(color_mode="rgb", scale_01=True, activation="none", pooling="none"),
]


@pytest.mark.parametrize("spec", SPECS, ids=range(len(SPECS)))
def test_formulas_in_chinese_have_the_same_maths(spec):
    plan = plan_pipeline(spec, (300, 451, 3))
    for stage in plan.stages:
        en, zh = stage.formulas_in("en"), stage.formulas_in("zh")
        assert len(en) == len(zh)
        for english, chinese, line in zip(en, zh, stage.lines, strict=True):
            if isinstance(line, str):
                assert english == chinese == line
            elif line.key not in SAME_IN_CHINESE:
                assert _CJK.search(chinese), chinese
            assert _NUMBER.findall(english) == _NUMBER.findall(chinese), (english, chinese)
        assert stage.formulas == en
        assert _CJK.search(stage.title_in("zh")) or stage.kind == "activation"
    rows = plan_pipeline(spec)
    assert [s.title for s in rows.stages] == [s.title_in("en") for s in rows.stages]


def test_the_seed_formulas_read_the_same_numbers_in_both_languages():
    conv = plan_pipeline(PipelineSpec()).stage("conv")
    assert conv.formulas_in("zh")[0] == "(512 + 2*0 - 15)/1 + 1 = 498"
    same = plan_pipeline(PipelineSpec.single(padding_mode="same", stride=3)).stage("conv")
    assert same.formulas_in("zh")[2] == "  = 上/左 6 + 下/右 7"
    pool = plan_pipeline(PipelineSpec()).stage("pool")
    assert pool.title_in("zh") == "最大池化"
    assert pool.formulas_in("zh")[1] == "2x2 窗口，步幅 2，取每个窗口的最大值，没有参数"


def test_words_around_the_step_have_the_same_numbers():
    geometry = step_geometry(9, 3, 2, "same")
    image = np.arange(81, dtype=np.float32).reshape(9, 9, 1)
    step = conv_step(image, np.ones((3, 3, 1, 1)), [0.5], 1, 2, 0, geometry)
    pairs = [
        (step.sum_lines(), step.sum_lines("zh")),
        ((activation_text(-2.0, "none"),), (activation_text(-2.0, "none", "zh"),)),
        ((activation_text(-2.0, "elu"),), (activation_text(-2.0, "elu", "zh"),)),
        ((padding_text(geometry),), (padding_text(geometry, "zh"),)),
        ((unused_text(geometry),), (unused_text(geometry, "zh"),)),
        (
            (unused_text(step_geometry(512, 15, 2)),),
            (unused_text(step_geometry(512, 15, 2), "zh"),),
        ),
    ]
    conv = np.arange(25.0).reshape(5, 5)
    for row, col, size, stride in ((1, 3, 2, 2), (4, 4, 2, 2), (1, 1, 2, 3), (2, 2, 3, 1)):
        pool = pool_step(conv, row, col, "relu", "max", size, stride)
        pairs.append(
            (
                pool_lines(pool, row, col, "max", size, stride, 5),
                pool_lines(pool, row, col, "max", size, stride, 5, "zh"),
            )
        )
    for english, chinese in pairs:
        assert len(english) == len(chinese)
        for en, zh in zip(english, chinese, strict=True):
            assert _NUMBER.findall(en) == _NUMBER.findall(zh), (en, zh)


def test_codegen_in_chinese_runs_the_same_code_with_chinese_comments():
    for spec in (
        PipelineSpec(),
        PipelineSpec.single(weights="bank", kernel_size=3, filters=11, color_mode="rgb"),
        PipelineSpec.single(weights="sobel_x", kernel_size=5).with_depth(2),
        PipelineSpec.single(input_size=16, kernel_size=31),
    ):
        english, chinese = keras_script(spec, "Coffee"), keras_script(spec, "Coffee", "zh")
        compile(chinese, "convlab_layer.py", "exec")
        comments = [line.split("#", 1)[1] for line in chinese.splitlines() if "#" in line]
        assert any(_CJK.search(comment) for comment in comments)
        code = [line.split("#", 1)[0].rstrip() for line in english.splitlines()]
        assert code == [line.split("#", 1)[0].rstrip() for line in chinese.splitlines()]
        assert not any(_CJK.search(line) for line in code)
    stopped = keras_script(PipelineSpec.single(input_size=16, kernel_size=31), None, "zh")
    assert "# 应用在这里停止：卷积的输出尺寸将为零或负数：(16 + 2*0 - 31)/1 + 1 = -14。" in stopped


def test_figure_titles_in_chinese():
    maps = np.linspace(-1, 1, 2 * 8 * 8).reshape(8, 8, 2).astype(np.float32)
    names = tile_names("conv", 2, lang="zh")
    fig = stage_figure(
        maps, maps, 1, (8, 8), (-1.0, 1.0), names, kernels=np.ones((3, 3, 2)), lang="zh"
    ).to_dict()
    layout = fig["layout"]
    assert [a["text"] for a in layout["annotations"][:2]] == ["滤波器 1", "滤波器 2"]
    assert layout["annotations"][-1]["text"] == "卷积核"
    assert layout["xaxis"]["title"]["text"] == "列 (x)"
    assert layout["yaxis"]["title"]["text"] == "行 (y)"
    heatmap = next(trace for trace in fig["data"] if trace["type"] == "heatmap")
    assert heatmap["colorbar"]["title"]["text"] == "数值"
    assert heatmap["hovertemplate"] == (
        "滤波器 1<br>第 %{y} 行，第 %{x} 列<br>数值 %{z:.4f}<extra></extra>"
    )
    assert tile_names("input", 1, lang="zh") == ["灰度"]
    assert sampling_note(3, "zh") == "悬停显示的精确值每 3 个像素取一个"
    kernels = kernel_figure(np.ones((3, 3, 2, 1)), lang="zh").to_dict()
    assert [a["text"] for a in kernels["layout"]["annotations"]] == [
        "滤波器 1，通道 1",
        "滤波器 1，通道 2",
    ]
    assert kernels["data"][0]["colorbar"]["title"]["text"] == "权重"
    gray = [[0, "rgb(0, 0, 0)"], [1, "rgb(255, 255, 255)"]]
    histogram = with_histogram(
        stage_figure(maps, maps, 1, (8, 8), (-1.0, 1.0), names, lang="zh"),
        count_values(np.array([0.0, 0.0, 1.0]), bins=4),
        (0, 1),
        gray,
        2 / 3,
        "zh",
    ).to_dict()
    bar = histogram["data"][-1]
    axis = "yaxis" + bar["yaxis"][1:]
    assert histogram["layout"]["annotations"][-1]["text"] == (
        "3 个值，分为 4 个区间 · 恰好为零：66.7%"
    )
    assert histogram["layout"][axis]["title"]["text"] == "个数"


def test_step_figures_in_chinese():
    geometry = step_geometry(6, 3, 1, "same")
    image = np.arange(36, dtype=np.float32).reshape(6, 6, 1)
    step = conv_step(image, np.ones((3, 3, 1, 1)), [0.0], 0, 0, 0, geometry)
    mask = np.ones(6, bool)
    picture = input_figure(
        image[:, :, 0], (0, 35), geometry, geometry, step, 1.0, mask, mask, lang="zh"
    )
    layout = picture.to_dict()["layout"]
    assert layout["xaxis"]["title"]["text"] == "列 (x)"
    assert {a["text"] for a in layout["annotations"]} == {"1 行零填充", "1 列零填充"}
    grid = step_grid_figure(step, ["gray"], (0, 35), lang="zh").to_dict()
    assert [a["text"] for a in grid["layout"]["annotations"]] == [
        "图像块",
        "卷积核",
        "图像块 x 卷积核",
    ]


def test_labels_the_ui_translates():
    assert choice_label("sobel_x").render("zh") == "Sobel x 方向"
    assert choice_label("random").render("zh") == "随机（Glorot 均匀初始化）"
    assert filter_labels("sobel_x", 1, "zh") == ["滤波器 1：Sobel x 方向"]
    assert describe_choice("gaussian", 0.5, "zh") == "高斯模糊 卷积核，偏置 0.5"
    assert size_note("sharpen", 15, 3, "zh").startswith("锐化 的卷积核尺寸只能是 3")
    assert activation_label("relu").render("zh") == "relu"
    assert pooling_label("average").render("zh") == "平均池化"
    assert sample_label("Moon").render("zh") == "月球表面"
    assert summary_columns("zh")[:3] == ("层（类型）", "输出形状", "参数量")
    block = BlockSpec(kernel_size=3, filters=8, padding_mode="explicit", padding=2, dilation=2)
    assert (
        block_summary(2, block, "zh")
        == "第 2 块：8x3x3，步幅 1，膨胀 2，显式填充 p=2，relu，最大池化 2"
    )
    assert preprocessing_steps((300, 451, 3), PipelineSpec(), "zh")[:3] == (
        "原始图像：(300, 451, 3)",
        "灰度图：(300, 451)",
        "用 INTER_AREA 缩放到 512x512：(512, 512)",
    )
    assert all(_CJK.search(line) for line in describe_limits("zh"))
    heavy = estimate_cost(PipelineSpec.single(input_size=1024, kernel_size=31, filters=64))
    assert heavy.advice_in("zh")[0] == "减少滤波器数量：64 → 21"
    [rejection] = parse_link({"activation": "swish"}).rejected
    assert rejection_message(rejection).render("zh").startswith("`activation=swish` 不是 `none`")


@pytest.mark.skipif(
    not any(Path(path).is_file() for path in _CJK_FONTS),
    reason="no CJK font installed (Debian: fonts-noto-cjk)",
)
def test_png_export_draws_chinese_labels_with_a_font_that_has_them():
    from PIL import ImageFont

    from cnn_core.export import _font, _needs_cjk

    assert _needs_cjk(["滤波器 1"]) and not _needs_cjk(["filter 1 · 40x40"])
    font = _font(13, cjk=True)
    assert isinstance(font, ImageFont.FreeTypeFont)
    # A glyph, not the empty box of a font without Chinese.
    assert font.getmask("滤").getbbox() != font.getmask("\uffff").getbbox()


@pytest.mark.parametrize(
    ("lang", "words"), [("en", ["▶ Play", "❚❚ Pause"]), ("zh", ["▶ 播放", "❚❚ 暂停"])]
)
def test_the_step_animation_buttons_speak_the_language(lang, words):
    geometry = step_geometry(6, 3, 1, "same")
    image = np.arange(36, dtype=np.float32).reshape(6, 6, 1)
    step = conv_step(image, np.ones((3, 3, 1, 1)), [0.0], 0, 0, 0, geometry)
    mask = np.ones(6, bool)
    picture = input_figure(
        image[:, :, 0],
        (0, 35),
        geometry,
        geometry,
        step,
        1.0,
        mask,
        mask,
        [(step, 1.0)] * 2,
        lang=lang,
    ).to_dict()
    [menu] = picture["layout"]["updatemenus"]
    assert [button["label"] for button in menu["buttons"]] == words
