"""Links: the names table, the tolerant reader, old names, and the writer."""

from __future__ import annotations

import dataclasses
import re
import urllib.parse
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnn_core.images import SAMPLES
from cnn_core.links import (
    BLOCK,
    OLD_NAMES,
    PIPELINE,
    Allowed,
    Rejection,
    block_values,
    build_spec,
    is_link_name,
    parse_link,
    pipeline_values,
    spec_to_query,
)
from cnn_core.spec import ACTIVATIONS, COLOR_MODES, LIMITS, POOLINGS, PipelineSpec

ROOT = Path(__file__).resolve().parent.parent
ENTRIES = {entry.name: entry for entry in (*PIPELINE, *BLOCK)}


def _limit(name):
    return st.integers(*LIMITS[name])


@st.composite
def canonical_specs(draw):
    """Any spec the sidebar can make, with the padding p only where it applies."""
    padding_mode = draw(st.sampled_from(("valid", "same", "explicit")))
    return PipelineSpec(
        color_mode=draw(st.sampled_from(tuple(COLOR_MODES))),
        input_size=draw(_limit("input_size")),
        scale_01=draw(st.booleans()),
        kernel_size=draw(_limit("kernel_size")),
        filters=draw(_limit("filters")),
        stride=draw(_limit("stride")),
        padding_mode=padding_mode,
        padding=draw(_limit("padding")) if padding_mode == "explicit" else 0,
        activation=draw(st.sampled_from(tuple(ACTIVATIONS))),
        pooling=draw(st.sampled_from(tuple(POOLINGS))),
        pool_size=draw(_limit("pool_size")),
        pool_stride=draw(st.none() | _limit("pool_stride")),
        seed=draw(_limit("seed")),
    )


URLS = st.none() | st.sampled_from(
    [
        "https://example.org/cat.jpg",
        "http://example.org/Photos/Big%20Cat.PNG?size=2&x=1",
        "https://upload.example.com/a/b/c.webp#top",
    ]
)


def old_to_query(spec, source=None):
    """What the previous version wrote into the address bar, frozen here:
    ``PipelineSpec.to_query`` plus the sidebar's ``source=`` label."""
    default = PipelineSpec()
    query = {}
    for field in dataclasses.fields(spec):
        value = getattr(spec, field.name)
        if value == getattr(default, field.name):
            continue
        if isinstance(value, bool):
            query[field.name] = "1" if value else "0"
        else:
            query[field.name] = "" if value is None else str(value)
    if source is not None and source != "Cat (chelsea)":
        query["source"] = source
    return query


# -- the table -----------------------------------------------------------------


def test_table_covers_every_spec_field_once():
    fields = [field for entry in (*PIPELINE, *BLOCK) for field in entry.fields]
    spec_fields = [field.name for field in dataclasses.fields(PipelineSpec)]
    assert sorted(f for f in fields if f not in ("sample", "url", "lock")) == sorted(spec_fields)
    assert len(fields) == len(set(fields))
    assert [entry.name for entry in PIPELINE] == ["image", "mode", "size", "scale", "url", "lock"]
    assert [entry.name for entry in BLOCK] == [
        "kernel",
        "filters",
        "stride",
        "padding",
        "activation",
        "pooling",
        "pool",
        "pool_stride",
        "seed",
    ]


def test_adapter_round_trips():
    spec = PipelineSpec(kernel_size=3, color_mode="rgb", pool_stride=1)
    assert build_spec(pipeline_values(spec), block_values(spec)) == spec
    assert set(pipeline_values(spec)) == {"color_mode", "input_size", "scale_01"}


def test_defaults_give_the_bare_address():
    assert spec_to_query(PipelineSpec()) == {}
    assert spec_to_query(PipelineSpec(), sample="chelsea") == {}
    state = parse_link({})
    assert (state.spec, state.sample, state.url, state.lock, state.rejected) == (
        PipelineSpec(),
        "chelsea",
        None,
        False,
        (),
    )


def test_short_names_for_the_lessons():
    assert spec_to_query(PipelineSpec(padding_mode="same")) == {"padding": "same"}
    assert spec_to_query(PipelineSpec(stride=2)) == {"stride": "2"}
    assert spec_to_query(PipelineSpec(color_mode="rgb", filters=8)) == {
        "mode": "rgb",
        "filters": "8",
    }
    assert spec_to_query(PipelineSpec(padding_mode="explicit", padding=3)) == {"padding": "3"}
    assert spec_to_query(PipelineSpec(scale_01=True, pool_size=3)) == {"scale": "1", "pool": "3"}
    assert spec_to_query(PipelineSpec(), url="https://example.org/a.png", lock=True) == {
        "url": "https://example.org/a.png",
        "lock": "1",
    }


def test_padding_p_is_not_written_where_it_does_not_apply():
    assert spec_to_query(PipelineSpec(padding=5)) == {}
    assert spec_to_query(PipelineSpec(padding_mode="same", padding=5)) == {"padding": "same"}


# -- round trips -----------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(canonical_specs(), st.sampled_from(tuple(SAMPLES.values())), URLS, st.booleans())
def test_round_trip_of_every_field(spec, sample, url, lock):
    query = spec_to_query(spec, sample=sample, url=url, lock=lock)
    assert all(isinstance(v, str) and v for k, v in query.items() if k != "pool_stride")
    assert set(query) <= set(ENTRIES)
    state = parse_link(query)
    assert state.rejected == ()
    assert (state.spec, state.sample, state.url, state.lock) == (spec, sample, url, lock)


@settings(max_examples=200, deadline=None)
@given(canonical_specs(), st.sampled_from(tuple(SAMPLES)))
def test_every_old_name_link_gives_the_same_spec(spec, label):
    old = parse_link(old_to_query(spec, label))
    new = parse_link(spec_to_query(spec, sample=SAMPLES[label]))
    assert old.rejected == new.rejected == ()
    assert (old.spec, old.sample) == (new.spec, new.sample) == (spec, SAMPLES[label])


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ({"kernel_size": "5"}, {"kernel": "5"}),
        ({"padding_mode": "same"}, {"padding": "same"}),
        ({"padding_mode": "explicit", "padding": "3"}, {"padding": "3"}),
        ({"padding_mode": "explicit"}, {"padding": "0"}),
        ({"padding_mode": "valid", "padding": "4"}, {}),
        ({"color_mode": "rgb"}, {"mode": "rgb"}),
        ({"color_mode": "grayscale"}, {"mode": "gray"}),
        ({"input_size": "256"}, {"size": "256"}),
        ({"scale_01": "1"}, {"scale": "1"}),
        ({"pool_size": "3"}, {"pool": "3"}),
        ({"pool_stride": ""}, {}),
        ({"source": "Coffee"}, {"image": "coffee"}),
        ({"source": "Cat (chelsea)"}, {}),
        ({"source": "Camera man"}, {"image": "camera"}),
    ],
)
def test_old_names(old, new):
    assert parse_link(old) == parse_link(new)
    assert all(is_link_name(name) for name in old)


def test_every_name_the_old_version_wrote_is_known():
    spec_fields = [field.name for field in dataclasses.fields(PipelineSpec)]
    assert all(is_link_name(name) for name in [*spec_fields, "source"])
    assert set(OLD_NAMES) | set(ENTRIES) >= {*spec_fields, "source"}


def test_todays_name_wins_over_the_old_one():
    assert parse_link({"kernel": "5", "kernel_size": "7"}).spec.kernel_size == 5


# -- tolerance -----------------------------------------------------------------


def test_case_and_spaces_are_ignored():
    state = parse_link(
        {
            " KERNEL ": " 5 ",
            "Padding": "SAME",
            "activation": " Leaky ReLU",
            "Mode": "RGB ",
            "pooling": "Average",
            "image": " Astronaut",
            "LOCK": "1 ",
        }
    )
    assert state.rejected == ()
    assert state.spec == PipelineSpec(
        kernel_size=5,
        padding_mode="same",
        activation="leaky_relu",
        color_mode="rgb",
        pooling="average",
    )
    assert (state.sample, state.lock) == ("astronaut", True)


def test_mode_grayscale_is_gray():
    state = parse_link({"mode": "grayscale"})
    assert state.spec.color_mode == "grayscale" and state.rejected == ()
    assert spec_to_query(state.spec) == {}
    assert parse_link({"mode": "gray"}).spec.color_mode == "grayscale"


def test_url_keeps_its_case():
    url = "https://Example.org/Cats/Big.JPG"
    assert parse_link({"url": f"  {url} "}).url == url


def test_unknown_names_are_ignored_silently():
    state = parse_link({"utm_source": "moodle", "lti_user": "42", "kernel": "3", "": "x"})
    assert state.rejected == ()
    assert state.spec == PipelineSpec(kernel_size=3)
    assert not is_link_name("utm_source")


def test_repeated_names_use_the_last_value_and_empty_lists_are_absent():
    assert parse_link({"kernel": ["3", "7"]}).spec.kernel_size == 7
    assert parse_link({"kernel": []}).spec.kernel_size == 15
    assert parse_link({"kernel": None}).rejected == ()


def test_the_issues_example():
    [rejection] = parse_link({"kernel": "banana", "stride": "2"}).rejected
    assert rejection == Rejection("kernel", "banana", Allowed("integer", 1, 31), "15")
    assert parse_link({"kernel": "banana", "stride": "2"}).spec == PipelineSpec(stride=2)


GARBAGE = ["banana", "", "-1", "99999", "1.5", "٣", "1_0", "0x10", "nan", "<script>", " 2 2 "]


@pytest.mark.parametrize("name", sorted(ENTRIES))
@pytest.mark.parametrize("value", GARBAGE)
def test_garbage_in_one_field_falls_back_to_its_default(name, value):
    entry = ENTRIES[name]
    try:
        entry.parse(value.strip().lower())
    except ValueError:
        pass
    else:
        pytest.skip(f"{name}={value!r} is a valid value")
    if name == "pool_stride" and value.strip() == "":
        pytest.skip("an empty pool_stride means 'the pool size', as old links wrote it")
    state = parse_link({"filters": "4"} | {name: value})
    names = [rejection.name for rejection in state.rejected]
    assert name in names
    [rejection] = [r for r in state.rejected if r.name == name]
    assert rejection.value == value
    assert rejection.allowed == entry.allowed
    default = parse_link({})
    got = {
        "image": state.sample,
        "url": state.url,
        "lock": state.lock,
    }
    want = {"image": default.sample, "url": default.url, "lock": default.lock}
    if name in got:
        assert got[name] == want[name]
    else:
        for field in entry.fields:
            assert getattr(state.spec, field) == getattr(default.spec, field)
    if name != "filters":
        assert state.spec.filters == 4


def test_garbage_everywhere_names_each_and_keeps_nothing_else():
    query = {name: "banana" for name in ENTRIES}
    state = parse_link(query)
    assert sorted(r.name for r in state.rejected) == sorted(ENTRIES)
    assert (state.spec, state.sample, state.url, state.lock) == (
        PipelineSpec(),
        "chelsea",
        None,
        False,
    )
    defaults = {r.name: r.default for r in state.rejected}
    assert defaults["kernel"] == "15" and defaults["padding"] == "valid"
    assert defaults["mode"] == "gray" and defaults["url"] == "" and defaults["lock"] == ""


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "javascript:alert(1)", "ftp://example.org/a.png", "http://"]
)
def test_only_http_urls(url):
    state = parse_link({"url": url})
    assert state.url is None
    assert [r.name for r in state.rejected] == ["url"]


QUERY_VALUE = st.one_of(
    st.text(max_size=12),
    st.integers(-100, 2000).map(str),
    st.sampled_from(["", "0", "1", "rgb", "same", "explicit", "none", "max", "٣", "1_0"]),
    st.lists(st.text(max_size=6), max_size=3),
    st.none(),
    st.integers(-100, 2000),
    st.floats(allow_nan=True),
)
NAMES = st.sampled_from(
    (*ENTRIES, *OLD_NAMES, "Kernel", " size ", "unknown", "page", "utm_source")
) | st.text(max_size=8)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(NAMES, QUERY_VALUE, max_size=12))
def test_any_query_gives_a_view_and_round_trips(query):
    state = parse_link(query)
    assert isinstance(state.spec, PipelineSpec)
    written = {str(name).strip().lower() for name in query}
    assert all(r.name in written for r in state.rejected)
    again = parse_link(spec_to_query(state.spec, sample=state.sample, url=state.url))
    assert again.rejected == ()
    assert (again.spec, again.sample, again.url) == (state.spec, state.sample, state.url)


# -- README ----------------------------------------------------------------------


def _readme_links():
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## Links\n", 1)[1].split("\n## ", 1)[0]
    return section, re.findall(r"`(http://localhost:8501/[^`]*)`", section)


def test_readme_documents_every_name_and_the_lesson_links():
    section, links = _readme_links()
    for name in ENTRIES:
        assert re.search(rf"^\| (`\w+`, )*`{name}`", section, re.M), name
    specs = []
    for link in links:
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(link).query))
        state = parse_link(query)
        assert state.rejected == (), link
        assert spec_to_query(state.spec, sample=state.sample) == query, link
        specs.append(state.spec)
    assert specs[:4] == [
        PipelineSpec(),
        PipelineSpec(padding_mode="same"),
        PipelineSpec(stride=2),
        PipelineSpec(color_mode="rgb", filters=8),
    ]
