"""The Kernel choice and the Color scale in a real browser."""

import urllib.parse

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from tests.e2e.conftest import TILE_CHARTS, wait_for_rerun
from tests.e2e.test_browser import choose, open_app


def test_the_classic_bank_in_the_browser(page, app_url):
    open_app(page, app_url)
    choose(page, "Kernel", "Classic bank")
    sidebar, main = page.get_by_test_id("stSidebar"), page.get_by_test_id("stMain")
    expect(sidebar).to_contain_text("so Kernel size moved from 15 to 3")
    expect(main).to_contain_text("params = 11*(3*3*1) + 11 = 110")
    wait_for_rerun(page)
    conv = page.locator(TILE_CHARTS).nth(1)
    expect(conv).to_contain_text("filter 5: Sobel x")
    # Each tile's 3x3 kernel is drawn under it, with its numbers.
    expect(conv.locator("g.annotation-text-g").filter(has_text="kernel")).to_have_count(11)
    expect(conv).to_contain_text("0.13")
    assert "weights=bank" in page.url and "kernel=3" in page.url
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_color_scale_whole_pipeline_in_the_browser(page, app_url):
    open_app(page, app_url)
    radio = (
        page.get_by_test_id("stSidebar").get_by_test_id("stRadio").filter(has_text="Color scale")
    )
    radio.locator("label").filter(has_text="whole pipeline").click()
    wait_for_rerun(page)
    expect(page.locator(TILE_CHARTS)).to_have_count(4, timeout=60_000)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(radio.locator("label[data-selected='true']")).to_contain_text("whole pipeline")
    # The input's colours now span the whole pipeline: down to the convolution's
    # negative minimum, which the input itself never reaches.
    page.wait_for_function(
        """(selector) => {
            const plot = document.querySelector(selector).querySelector(".js-plotly-plot");
            return plot && plot.data && plot.data[0].zmin < 0;
        }""",
        arg=TILE_CHARTS,
    )


def _edit_cell(page, grid, row, col, text):
    """Type ``text`` into cell (row, col) of a data editor (0-based, data cells only).

    The grid is a canvas: cells are found by position from the header and the
    index column, then edited by typing, as a student does.
    """
    box = grid.bounding_box()
    rows = 3
    row_height = (box["height"] - 2) / (rows + 1)  # header + the k rows
    first = grid.get_by_role("columnheader").first
    index_width = first.bounding_box()["width"] if first.count() else 60
    cols = 3
    cell_width = (box["width"] - index_width) / cols
    x = box["x"] + index_width + (col + 0.5) * cell_width
    y = box["y"] + (row + 1.5) * row_height
    editor = page.locator("textarea.gdg-input, input.gdg-input")
    for _ in range(5):  # a busy browser may draw the canvas after the first click
        page.mouse.dblclick(x, y)  # opens the cell's editor
        try:
            editor.first.wait_for(state="visible", timeout=5_000)
            break
        except PlaywrightTimeout:  # not open yet: click again
            page.keyboard.press("Escape")
    editor.first.fill(text)
    page.keyboard.press("Enter")
    expect(editor).to_have_count(0)


def test_editing_a_custom_cell_changes_the_maps_and_the_link(page, app_url):
    # An identity kernel: the convolution of a 3x3 custom grid is the input itself.
    page.goto(app_url + "/?weights=custom&kernel=3&w=0,0,0,0,1,0,0,0,0")
    wait_for_rerun(page)
    main, sidebar = page.get_by_test_id("stMain"), page.get_by_test_id("stSidebar")
    expect(page.locator(TILE_CHARTS)).to_have_count(4, timeout=60_000)
    grid = sidebar.get_by_test_id("stDataFrame")
    expect(grid).to_have_count(1)
    grid.scroll_into_view_if_needed()
    _edit_cell(page, grid, 1, 1, "2")
    page.wait_for_function(
        "() => decodeURIComponent(location.search).includes('w=0,0,0,0,2,0,0,0,0')",
        timeout=60_000,
    )
    wait_for_rerun(page)
    expect(page.get_by_test_id("stException")).to_have_count(0)

    # A cell that is not a number: an error naming it, and the last kernel stays.
    _edit_cell(page, grid, 0, 2, "x")
    expect(sidebar.get_by_test_id("stAlert")).to_contain_text("row 1, column 3", timeout=60_000)
    assert "w=0,0,0,0,2,0,0,0,0" in urllib.parse.unquote(page.url)
    expect(main.get_by_test_id("stException")).to_have_count(0)
