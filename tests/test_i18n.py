"""The catalogues: complete in every language, placeholders that match, and
the language chosen from a link or a browser."""

from __future__ import annotations

import pytest

from cnn_core.errors import ConvlabError, ShapeError
from cnn_core.i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    Message,
    catalogue,
    pick_language,
    placeholders,
    translate,
)
from cnn_core.links import parse_link, spec_to_query
from cnn_core.spec import PipelineSpec

OTHERS = [code for code in LANGUAGES if code != DEFAULT_LANGUAGE]


def test_english_and_chinese_exist():
    assert LANGUAGES == {"en": "English", "zh": "中文"}


@pytest.mark.parametrize("lang", OTHERS)
def test_every_key_exists_in_every_language(lang):
    english, other = set(catalogue(DEFAULT_LANGUAGE)), set(catalogue(lang))
    assert sorted(english - other) == [], f"missing in {lang}"
    assert sorted(other - english) == [], f"only in {lang}"


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_no_translation_is_empty(lang):
    assert [key for key, text in catalogue(lang).items() if not text.strip()] == []


@pytest.mark.parametrize("lang", OTHERS)
def test_placeholders_match_across_languages(lang):
    english = catalogue(DEFAULT_LANGUAGE)
    wrong = {
        key: (placeholders(english[key]), placeholders(text))
        for key, text in catalogue(lang).items()
        if sorted(placeholders(english[key])) != sorted(placeholders(text))
    }
    assert wrong == {}


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_every_text_formats_with_its_own_placeholders(lang):
    for key, text in catalogue(lang).items():
        names = {name.split(".")[0].split("[")[0] for name in placeholders(text)}
        assert all(names), f"{key}: use named placeholders"
        translate(lang, key, **dict.fromkeys(names, 1))


def test_messages_render_nested_messages_in_their_language():
    inner = Message.of("meta.name")
    outer = Message.of("errors.shape.in_block", block=2, text=inner)
    assert outer.render("zh") == "第 2 块：中文"
    assert str(outer) == "Block 2: English"
    assert hash(outer) == hash(Message.of("errors.shape.in_block", block=2, text=inner))


def test_an_unknown_language_falls_back_to_english():
    assert translate("fr", "meta.name") == "English"


def test_errors_carry_a_key_and_numbers():
    error = ConvlabError("errors.internal.count", count=0)
    assert error.message == Message.of("errors.internal.count", count=0)
    assert str(error) == "Expected count >= 1. Received: count=0"
    assert error.render("zh") == "count 应不小于 1。收到：count=0"
    shape = ShapeError("errors.shape.in_block", stage="conv", block=1, text="x")
    assert shape.stage == "conv" and shape.message.values == {"block": 1, "text": "x"}


def test_an_error_without_a_catalogue_key_is_refused():
    with pytest.raises(KeyError, match="not a catalogue key"):
        ConvlabError("Expected something in plain English.")


@pytest.mark.parametrize(
    ("locale", "header", "expected"),
    [
        ("zh-CN", None, "zh"),
        ("zh_TW", "en", "zh"),
        ("en-US", "zh", "en"),
        (None, "zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        (None, "en;q=0.5,zh;q=0.9", "zh"),
        (None, "de-DE,fr;q=0.8", "en"),
        (None, "zh;q=0,en", "en"),
        (None, "", "en"),
        (None, None, "en"),
    ],
)
def test_the_browser_language_is_picked_among_ours(locale, header, expected):
    assert pick_language(locale, header) == expected


def test_the_link_carries_the_language_without_touching_the_view():
    spec = PipelineSpec.single(kernel_size=5)
    query = spec_to_query(spec, lang="zh")
    assert query == {"kernel": "5", "lang": "zh"}
    state = parse_link(query)
    assert state.lang == "zh" and state.spec == spec
    assert parse_link({"kernel": "5"}).lang is None
    rejected = parse_link({"lang": "klingon"})
    assert rejected.lang is None
    assert [(r.name, r.value, r.default) for r in rejected.rejected] == [("lang", "klingon", "")]
