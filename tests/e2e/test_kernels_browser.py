"""The Kernel choice and the Color scale in a real browser."""

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
            return plot && plot.data && plot.data[1].zmin < 0;
        }""",
        arg=TILE_CHARTS,
    )
