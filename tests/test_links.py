"""Links: the names table, the tolerant reader, old names, and the writer."""

from __future__ import annotations

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
from cnn_core.spec import (
    ACTIVATIONS,
    BLOCK_FIELDS,
    COLOR_MODES,
    INPUT_FIELDS,
    LIMITS,
    POOLINGS,
    BlockSpec,
    PipelineSpec,
)

ROOT = Path(__file__).resolve().parent.parent
ENTRIES = {entry.name: entry for entry in (*PIPELINE, *BLOCK)}


def _limit(name):
    return st.integers(*LIMITS[name])


@st.composite
def canonical_specs(draw):
    """Any spec the sidebar can make, with the padding p only where it applies."""
    padding_mode = draw(st.sampled_from(("valid", "same", "explicit")))
    return PipelineSpec.single(
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
    (block,) = spec.blocks  # that version had one block, its fields on the spec
    default = PipelineSpec().blocks[0]
    query = {}
    for name in (*INPUT_FIELDS, *BLOCK_FIELDS):
        owner, base = (spec, PipelineSpec()) if name in INPUT_FIELDS else (block, default)
        value = getattr(owner, name)
        if value == getattr(base, name):
            continue
        if isinstance(value, bool):
            query[name] = "1" if value else "0"
        else:
            query[name] = "" if value is None else str(value)
    if source is not None and source != "Cat (chelsea)":
        query["source"] = source
    return query


# -- the table -----------------------------------------------------------------


def test_table_covers_every_spec_field_once():
    fields = [field for entry in (*PIPELINE, *BLOCK) for field in entry.fields]
    spec_fields = [*INPUT_FIELDS, *BLOCK_FIELDS]
    assert sorted(f for f in fields if f not in ("sample", "url", "lock", "lang")) == sorted(
        spec_fields
    )
    assert len(fields) == len(set(fields))
    assert [entry.name for entry in PIPELINE] == [
        "image",
        "mode",
        "size",
        "scale",
        "url",
        "lock",
        "lang",
    ]
    assert [entry.name for entry in BLOCK] == [
        "kernel",
        "filters",
        "stride",
        "padding",
        "dilation",
        "activation",
        "pooling",
        "pool",
        "pool_stride",
        "seed",
        "weights",
        "bias",
        "w",
    ]


def test_adapter_round_trips():
    spec = PipelineSpec.single(kernel_size=3, color_mode="rgb", pool_stride=1)
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
    assert spec_to_query(PipelineSpec.single(padding_mode="same")) == {"padding": "same"}
    assert spec_to_query(PipelineSpec.single(stride=2)) == {"stride": "2"}
    assert spec_to_query(PipelineSpec.single(color_mode="rgb", filters=8)) == {
        "mode": "rgb",
        "filters": "8",
    }
    assert spec_to_query(PipelineSpec.single(padding_mode="explicit", padding=3)) == {
        "padding": "3"
    }
    assert spec_to_query(PipelineSpec.single(scale_01=True, pool_size=3)) == {
        "scale": "1",
        "pool": "3",
    }
    assert spec_to_query(PipelineSpec(), url="https://example.org/a.png", lock=True) == {
        "url": "https://example.org/a.png",
        "lock": "1",
    }


def test_padding_p_is_not_written_where_it_does_not_apply():
    assert spec_to_query(PipelineSpec.single(padding=5)) == {}
    assert spec_to_query(PipelineSpec.single(padding_mode="same", padding=5)) == {"padding": "same"}


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
    # ``custom`` came after that version (a link writes it as ``w``).
    spec_fields = [*INPUT_FIELDS, *(name for name in BLOCK_FIELDS if name != "custom")]
    assert all(is_link_name(name) for name in [*spec_fields, "source"])
    assert set(OLD_NAMES) | set(ENTRIES) >= {*spec_fields, "source"}


def test_todays_name_wins_over_the_old_one():
    assert parse_link({"kernel": "5", "kernel_size": "7"}).spec.blocks[0].kernel_size == 5


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
    assert state.spec == PipelineSpec.single(
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
    assert state.spec == PipelineSpec.single(kernel_size=3)
    assert not is_link_name("utm_source")


def test_repeated_names_use_the_last_value_and_empty_lists_are_absent():
    assert parse_link({"kernel": ["3", "7"]}).spec.blocks[0].kernel_size == 7
    assert parse_link({"kernel": []}).spec.blocks[0].kernel_size == 15
    assert parse_link({"kernel": None}).rejected == ()


def test_the_issues_example():
    [rejection] = parse_link({"kernel": "banana", "stride": "2"}).rejected
    assert rejection == Rejection("kernel", "banana", Allowed("integer", 1, 31), "15")
    assert parse_link({"kernel": "banana", "stride": "2"}).spec == PipelineSpec.single(stride=2)


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
        "lang": state.lang,
    }
    want = {
        "image": default.sample,
        "url": default.url,
        "lock": default.lock,
        "lang": default.lang,
    }
    if name in got:
        assert got[name] == want[name]
    else:
        for field in entry.fields:
            owner, base = (
                (state.spec, default.spec)
                if field in INPUT_FIELDS
                else (state.spec.blocks[0], default.spec.blocks[0])
            )
            assert getattr(owner, field) == getattr(base, field)
    if name != "filters":
        assert state.spec.blocks[0].filters == 4


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
        PipelineSpec.single(padding_mode="same"),
        PipelineSpec.single(stride=2),
        PipelineSpec.single(color_mode="rgb", filters=8),
    ]


# -- blocks --------------------------------------------------------------------


def test_blocks_take_a_suffix_and_default_to_what_adding_them_gives():
    spec = PipelineSpec().with_depth(3).replace_block(1, kernel_size=5, filters=8)
    spec = spec.replace_block(2, stride=2)
    # Block 3 was added after a 2-filter block 2 (so 4 filters); a link's
    # default for it is twice block 2's filters now, 16, so 4 is written.
    assert spec_to_query(spec) == {
        "blocks": "3",
        "kernel_2": "5",
        "filters_2": "8",
        "filters_3": "4",
        "stride_3": "2",
    }
    assert parse_link(spec_to_query(spec)).spec == spec
    state = parse_link({"blocks": "3", "kernel_2": "5", "filters_2": "8", "stride_3": "2"})
    assert state.spec.blocks[2].filters == 16 and state.rejected == ()
    assert is_link_name("Kernel_2") and is_link_name("pool_stride_4")
    assert not is_link_name("kernel_5") and not is_link_name("kernel_1")


def test_an_old_one_block_link_opens_the_same_view():
    state = parse_link({"filters": "3", "padding_mode": "same", "kernel_2": "7"})
    assert state.spec == PipelineSpec.single(filters=3, padding_mode="same")
    assert state.rejected == ()


@pytest.mark.parametrize("raw", ["0", "5", "two", ""])
def test_a_bad_block_count_falls_back_to_one_and_says_so(raw):
    state = parse_link({"blocks": raw, "filters": "2", "kernel_2": "5"})
    assert state.spec == PipelineSpec.single(filters=2)
    [rejection] = state.rejected
    assert (rejection.name, rejection.value, rejection.default) == ("blocks", raw, "1")
    assert rejection.allowed == Allowed("integer", 1, 4)


def test_a_bad_value_in_a_later_block_falls_back_to_that_blocks_default():
    state = parse_link({"blocks": "2", "filters": "8", "filters_2": "99", "dilation_2": "3"})
    assert state.spec.blocks[1] == BlockSpec(
        kernel_size=3, filters=16, padding_mode="same", dilation=3
    )
    [rejection] = state.rejected
    assert (rejection.name, rejection.value, rejection.default) == ("filters_2", "99", "16")


@settings(max_examples=100, deadline=None)
@given(
    st.builds(
        PipelineSpec,
        input_size=_limit("input_size"),
        blocks=st.lists(
            st.builds(
                BlockSpec,
                kernel_size=_limit("kernel_size"),
                filters=_limit("filters"),
                stride=_limit("stride"),
                dilation=_limit("dilation"),
                activation=st.sampled_from(tuple(ACTIVATIONS)),
                pooling=st.sampled_from(tuple(POOLINGS)),
                pool_stride=st.none() | _limit("pool_stride"),
                seed=_limit("seed"),
            ),
            min_size=1,
            max_size=4,
        ).map(tuple),
    )
)
def test_stacks_round_trip(spec):
    query = spec_to_query(spec)
    assert ("blocks" in query) == (spec.depth > 1)
    state = parse_link(query)
    assert state.spec == spec and state.rejected == ()
