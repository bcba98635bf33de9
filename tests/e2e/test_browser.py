"""What a student's browser gets from a real `streamlit run`."""

import re

from playwright.sync_api import expect

from tests.e2e.conftest import TILE_CHARTS, wait_for_rerun


def open_app(page, url):
    page.goto(url)
    wait_for_rerun(page)
    # The first run can start after wait_for_rerun returns, and take more than
    # expect's default 5 s on a busy machine.
    expect(page.locator(TILE_CHARTS)).to_have_count(4, timeout=60_000)


def choose(page, label, option):
    sidebar = page.get_by_test_id("stSidebar")
    combobox = sidebar.get_by_role("combobox", name=label, exact=True)
    combobox.click()
    combobox.fill(option)
    page.get_by_role("option", name=option, exact=True).click()


def colorbar_overflow(page):
    """Per chart, how many pixels its colorbar sticks out of the chart (<= 0: none).

    Margins are fixed (plotly.js does not draw twice to make room), so the
    colorbar and its labels must fit inside each chart as drawn.
    """
    return page.evaluate(
        """(selector) => Array.from(document.querySelectorAll(selector))
            .map(chart => {
                const svg = chart.querySelector("svg.main-svg").getBoundingClientRect();
                const bar = chart.querySelector("g.colorbar").getBoundingClientRect();
                return Math.max(bar.right - svg.right, svg.left - bar.left,
                                bar.bottom - svg.bottom, svg.top - bar.top);
            })""",
        TILE_CHARTS,
    )


def title_overlaps(page):
    """Every axis title that overlaps one of its own axis's tick labels, per chart.

    Margins are fixed, and plotly.js keeps an axis title inside them, so a
    standoff too small for the labels (or a margin too small for both) draws
    the title over the labels.
    """
    return page.evaluate(
        """(selector) => Array.from(document.querySelectorAll(selector)).flatMap((chart, n) =>
            Array.from(chart.querySelectorAll("text[class$='title']"))
                .filter(title => /^[xy][0-9]*title$/.test(title.getAttribute("class")))
                .flatMap(title => {
                    const axis = title.getAttribute("class").replace("title", "");
                    const t = title.getBoundingClientRect();
                    return Array.from(chart.querySelectorAll(`g.${axis}tick text`))
                        .filter(label => {
                            const l = label.getBoundingClientRect();
                            const w = Math.min(t.right, l.right) - Math.max(t.left, l.left);
                            const h = Math.min(t.bottom, l.bottom) - Math.max(t.top, l.top);
                            return label.textContent && w > 1 && h > 1;
                        })
                        .map(label => `chart ${n}: ${title.textContent} over ${label.textContent}`);
                }))""",
        TILE_CHARTS,
    )


def test_page_loads_with_the_seed_and_visible_charts(page, app_url):
    open_app(page, app_url)
    for chart in page.locator(TILE_CHARTS).all():
        expect(chart).to_be_visible()
        box = chart.bounding_box()
        assert box["width"] > 300 and box["height"] > 300
    overflow = colorbar_overflow(page)
    assert len(overflow) == 4 and max(overflow) <= 0, overflow
    body = page.get_by_test_id("stMain")
    expect(body).to_contain_text("(512 + 2*0 - 15)/1 + 1 = 498")
    expect(body).to_contain_text("params = 1*(15*15*1) + 1 = 226")
    expect(body).to_contain_text("(498 - 2)/2 + 1 = 249")
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_padding_same_updates_the_shape_text(page, app_url):
    open_app(page, app_url)
    choose(page, "Padding", "same")
    body = page.get_by_test_id("stMain")
    expect(body).to_contain_text("ceil(512/1) = 512")
    expect(body).to_contain_text("7 top/left + 7 bottom/right")
    expect(body).to_contain_text("(None, 256, 256, 1)")
    expect(body).not_to_contain_text("= 498")
    wait_for_rerun(page)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    assert re.search(r"[?&]padding=same", page.url)


def test_first_change_after_start_is_not_lost_and_pages_keep_it(page, app_url):
    open_app(page, app_url)
    choose(page, "Activation", "tanh")
    expect(page.get_by_test_id("stMain")).to_contain_text("tanh(x)")
    page.get_by_test_id("stSidebar").get_by_role("link", name="Kernels").click()
    expect(page.get_by_test_id("stMain")).to_contain_text("The kernels")
    page.get_by_test_id("stSidebar").get_by_role("link", name="Feature maps").click()
    expect(page.get_by_test_id("stMain")).to_contain_text("tanh(x)")
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_a_bad_upload_gets_an_error_and_the_app_keeps_working(page, app_url, tmp_path):
    open_app(page, app_url)
    choose(page, "Image source", "Upload")
    bad = tmp_path / "not_an_image.png"
    bad.write_text("hello, I am text")
    page.get_by_test_id("stSidebar").locator("input[type='file']").set_input_files(str(bad))
    expect(page.get_by_test_id("stSidebar").get_by_test_id("stAlertContentError")).to_contain_text(
        "not_an_image.png"
    )
    wait_for_rerun(page)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.locator(TILE_CHARTS)).to_have_count(4, timeout=60_000)


def test_streamlit_run_imports_tensorflow_before_it_serves(app_server):
    # `streamlit run app.py` found the st.App in app.py: its lifespan had
    # imported TensorFlow by the time the health check first said ok.
    assert "convlab: TensorFlow loaded in" in app_server.log_at_health
    assert "Traceback" not in app_server.log_path.read_text()


def test_axis_titles_clear_their_tick_labels(page, app_url):
    # Four filters with same padding: the convolution's histogram counts
    # reach "100k", wider than any tile's row number.
    open_app(page, f"{app_url}/?filters=4&padding=same")
    expect(page.get_by_test_id("stMain")).to_contain_text("(None, 512, 512, 4)")
    page.wait_for_function(  # every chart drawn with its histogram's axis titles
        """() => Array.from(document.querySelectorAll("[data-testid='stPlotlyChart'] text"))
            .filter(t => /^x[0-9]+title$/.test(t.getAttribute("class"))).length >= 4"""
    )
    assert title_overlaps(page) == []


def test_colorbars_fit_a_row_of_rgb_tiles(page, app_url):
    open_app(page, f"{app_url}/?mode=rgb&filters=3&kernel=3")
    page.wait_for_function(
        "() => document.querySelectorAll(\"[data-testid='stPlotlyChart'] g.colorbar\").length == 4"
    )
    overflow = colorbar_overflow(page)
    assert max(overflow) <= 0, overflow


def test_adding_a_second_block_shows_its_maps(page, app_url):
    open_app(page, app_url)
    sidebar = page.get_by_test_id("stSidebar")
    blocks = sidebar.get_by_test_id("stSlider").filter(has_text="Blocks")
    blocks.get_by_role("slider").focus()
    page.keyboard.press("ArrowRight")
    main = page.get_by_test_id("stMain")
    expect(main).to_contain_text("Block 2: 2x3x3, stride 1, same, relu, max 2")
    wait_for_rerun(page)
    # Block 2's three sections are open; the input's and block 1's are closed
    # bars (the overview row shows every stage), each one click from open.
    expect(page.locator(TILE_CHARTS)).to_have_count(3)
    expect(sidebar.get_by_test_id("stExpander").filter(has_text="Block 2")).to_contain_text(
        "Block 2: 2x3x3"
    )
    expect(main).to_contain_text("ceil(249/1) = 249")
    expect(main).to_contain_text("(None, 124, 124, 2)")
    # Block 2's maps are drawn: its pooling chart has two tiles of 124x124 maps.
    pool_2 = page.locator(TILE_CHARTS).last
    pool_2.scroll_into_view_if_needed()
    expect(pool_2).to_be_visible()
    expect(pool_2.locator("g.imagelayer image")).to_have_count(2)
    assert "blocks=2" in page.url
    # The overview row links to block 2's pooling section.
    link = main.locator("a[href='#stage-pool-2'][title]")
    expect(link.locator("img")).to_have_count(1)
    main.locator("a[href='#stage-input'][title]").click()
    section = page.locator("[id='stage-pool-2']")
    expect(section).not_to_be_in_viewport()
    link.click()
    expect(section).to_be_in_viewport()
    conv_1 = main.get_by_test_id("stExpander").filter(has_text="conv2d · 498x498x1")
    conv_1.locator("summary").click()
    expect(page.locator(TILE_CHARTS)).to_have_count(4)
    expect(conv_1.locator("g.imagelayer image")).to_have_count(1)
    expect(conv_1).to_contain_text("(512 + 2*0 - 15)/1 + 1 = 498")
    main.get_by_role("button", name="Open every section").click()
    expect(page.locator(TILE_CHARTS)).to_have_count(7)
    main.get_by_role("button", name="Close every section").click()
    expect(page.locator(TILE_CHARTS)).to_have_count(0)
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_a_block_expander_stays_open_while_its_title_follows_its_settings(page, app_url):
    page.goto(f"{app_url}/?blocks=2")
    wait_for_rerun(page)
    block_2 = (
        page.get_by_test_id("stSidebar").get_by_test_id("stExpander").filter(has_text="Block 2")
    )
    block_2.locator("summary").click()
    kernel = block_2.get_by_test_id("stSlider").filter(has_text="Kernel size")
    kernel.get_by_role("slider").focus()
    page.keyboard.press("ArrowRight")
    expect(block_2).to_contain_text("Block 2: 2x4x4, stride 1, same, relu, max 2")
    wait_for_rerun(page)
    expect(kernel).to_be_visible()
    expect(page.get_by_test_id("stMain")).to_contain_text("params = 2*(4*4*1) + 2 = 34")


def test_the_model_summary_opens_and_stays_open_while_its_label_follows_the_settings(page, app_url):
    """Its table is made only while it is open; a change of shapes changes its
    label, which is part of a stateful expander's identity in Streamlit."""
    open_app(page, app_url)
    summary = page.get_by_test_id("stMain").get_by_test_id("stExpander").first
    expect(summary).to_contain_text("Total params: 226")
    expect(summary.get_by_role("table")).to_have_count(0)
    summary.locator("summary").click()
    expect(summary.get_by_role("table")).to_contain_text("(None, 498, 498, 1)")
    expect(summary).to_contain_text("Receptive field")
    choose(page, "Padding", "same")
    expect(summary).to_contain_text("Conv2D 512x512x1")
    expect(summary.get_by_role("table")).to_contain_text("(None, 512, 512, 1)")
    wait_for_rerun(page)
    summary.locator("summary").click()  # closed, it stays closed through a change
    expect(summary.get_by_role("table")).to_have_count(0)
    choose(page, "Padding", "valid")
    expect(summary).to_contain_text("Conv2D 498x498x1")
    wait_for_rerun(page)
    expect(summary.get_by_role("table")).to_have_count(0)
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_first_map_is_on_the_first_screen_of_a_projector(browser, app_url):
    """At 1400x900 and the seed's defaults, the input stage's map needs no scrolling."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        open_app(page, app_url)
        page.wait_for_function(
            "() => document.querySelectorAll(\"[data-testid='stPlotlyChart'] g.imagelayer image\")"
            ".length == 4"
        )
        first = page.evaluate(
            """() => {
                const chart = document.querySelector("[data-testid='stPlotlyChart']");
                const map = chart.querySelector("g.imagelayer image").getBoundingClientRect();
                return {chart: chart.getBoundingClientRect().top, mapTop: map.top,
                        mapBottom: map.bottom, scrollY: window.scrollY,
                        main: document.querySelector("[data-testid='stMain']").scrollTop};
            }"""
        )
        assert first["scrollY"] == 0 and first["main"] == 0, first
        assert 0 <= first["chart"] < 900, first
        assert 0 <= first["mapTop"] < first["mapBottom"] <= 900, first  # the whole map
        expect(page.get_by_test_id("stMain").get_by_test_id("stExpander").first).to_contain_text(
            "Total params: 226"
        )
    finally:
        context.close()


def test_hover_on_a_tile_of_a_mosaic_names_its_filter_and_real_pixel(page, app_url):
    # Four 510x510 maps in a 2x2 mosaic: pictures on one pair of axes, each
    # tile's hover values on axes shifted to its own pixels.
    open_app(page, f"{app_url}/?kernel=3&filters=4")
    conv = page.locator(TILE_CHARTS).nth(1)
    conv.scroll_into_view_if_needed()
    tiles = conv.locator("g.imagelayer image")
    expect(tiles).to_have_count(4)
    step = int(re.search(r"every (\d+)\w\w pixel", conv.inner_text()).group(1))
    for index, (fx, fy) in [(2, (0.5, 0.5)), (3, (0.25, 0.75)), (0, (0.1, 0.1))]:
        label = conv.locator(".hovertext")
        page.mouse.move(1, 1)  # off the chart: the last label goes
        expect(label).to_have_count(0)
        box = tiles.nth(index).bounding_box()
        page.mouse.move(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
        expect(label).to_have_count(1)
        text = label.evaluate("node => node.textContent")
        assert f"filter {index + 1}" in text, text
        row, column = (int(n) for n in re.search(r"row (\d+), column (\d+)", text).groups())
        # The nearest hover sample to the pointer: within a sampling step.
        assert abs(row - fy * 510) <= step and abs(column - fx * 510) <= step, (text, fx, fy)


def test_the_page_asks_no_other_host_for_anything(page, app_url):
    """A classroom's page views and clicks stay on the app's server: nothing is
    fetched from a third party (once, the tab's icon came from fonts.gstatic.com
    on every rerun), so the app works offline and tells nobody who clicks."""
    elsewhere = []
    page.on(
        "request",
        lambda request: (
            request.url.startswith(("http:", "https:", "ws:", "wss:"))
            and not request.url.startswith(app_url.replace("http", "ws", 1))
            and not request.url.startswith(app_url)
            and elsewhere.append(request.url)
        ),
    )
    open_app(page, app_url)
    choose(page, "Padding", "same")
    expect(page.get_by_test_id("stMain")).to_contain_text("ceil(512/1) = 512")
    wait_for_rerun(page)
    icon = page.evaluate("() => document.querySelector(\"link[rel*='icon']\").href")
    assert icon.startswith(app_url), icon
    assert elsewhere == []


#: Wraps the page's plotly.js: for each later draw of a chart (not its first),
#: whether plotly.js kept what it had computed (``calcdata``) or started over.
KEEPS_CALCDATA = """() => {
    window.__redraws = [];
    const react = window.Plotly.react;
    window.Plotly.react = function (gd, ...rest) {
        const before = gd._fullLayout ? gd.calcdata : undefined;
        const result = react.call(this, gd, ...rest);
        if (before !== undefined) {
            Promise.resolve(result).then(() => window.__redraws.push(gd.calcdata === before));
        }
        return result;
    };
}"""


def test_a_changed_chart_is_not_computed_again_when_streamlit_draws_it_twice(page, app_url):
    """Streamlit 1.67 draws every new chart a second time right after mounting
    it (its theme applied to a JSON copy). With the style in the figure itself,
    no template, and a data revision (``cnn_core.screen``), plotly.js keeps what
    it computed and only restyles: a fifth of the cost of a full draw."""
    open_app(page, app_url)
    page.evaluate(KEEPS_CALCDATA)
    choose(page, "Padding", "same")
    expect(page.get_by_test_id("stMain")).to_contain_text("ceil(512/1) = 512")
    wait_for_rerun(page)
    page.wait_for_function("() => window.__redraws.length >= 3", timeout=30_000)
    page.wait_for_timeout(500)
    redraws = page.evaluate("() => window.__redraws")
    assert len(redraws) >= 3 and all(redraws), redraws
