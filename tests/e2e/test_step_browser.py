"""The Convolution step page in a real browser: click a pixel, Next, Play without reruns."""

from playwright.sync_api import expect

from tests.e2e.conftest import wait_for_rerun
from tests.e2e.test_browser import title_overlaps

OUT = 498  # the seed's convolution output side


def open_step_page(page, url):
    page.goto(f"{url}/Convolution_step")
    wait_for_rerun(page)
    expect(page.locator("[data-testid='stPlotlyChart']")).to_have_count(2, timeout=60_000)
    expect(page.get_by_test_id("stMain")).to_contain_text(
        "feature map at (249, 249)", timeout=60_000
    )


def number(page, label):
    return int(page.get_by_label(label, exact=True).input_value())


def test_a_click_on_the_map_chooses_that_pixel(page, app_url):
    open_step_page(page, app_url)
    image = page.frame_locator("iframe[title*='streamlit_image_coordinates']").locator("img")
    expect(image).to_be_visible()
    box = image.bounding_box()
    x, y = int(box["width"] * 0.25), int(box["height"] * 0.625)
    image.click(position={"x": x, "y": y})
    row = int((y + 0.5) * OUT // box["height"])
    col = int((x + 0.5) * OUT // box["width"])
    body = page.get_by_test_id("stMain")
    expect(body).to_contain_text(f"feature map at ({row}, {col})", timeout=30_000)
    wait_for_rerun(page)
    assert (number(page, "Output row"), number(page, "Output column")) == (row, col)
    assert 120 <= col <= 128 and 307 <= row <= 316  # a quarter across, five eighths down
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_next_moves_the_window_by_one_output_position(page, app_url):
    open_step_page(page, app_url)
    page.get_by_role("button", name="Next", exact=True).click()
    expect(page.get_by_test_id("stMain")).to_contain_text(
        "feature map at (249, 250)", timeout=30_000
    )
    wait_for_rerun(page)
    assert number(page, "Output column") == 250
    page.get_by_role("button", name="Previous", exact=True).click()
    expect(page.get_by_test_id("stMain")).to_contain_text(
        "feature map at (249, 249)", timeout=30_000
    )


def test_play_animates_in_the_browser_without_a_rerun_per_frame(page, app_url):
    frames = []

    def watch(ws):
        if "_stcore/stream" in ws.url:
            ws.on("framesent", lambda payload: frames.append(("sent", len(payload))))
            ws.on("framereceived", lambda payload: frames.append(("received", len(payload))))

    page.on("websocket", watch)
    open_step_page(page, app_url)
    page.wait_for_timeout(1000)
    window_x = """() => {
        const gd = document.querySelectorAll("[data-testid='stPlotlyChart'] .js-plotly-plot")[0];
        const trace = gd.data.find(t => t.name === "window");
        return Math.min(...trace.x);
    }"""
    start = page.evaluate(window_x)
    before = len(frames)
    page.locator("[data-testid='stPlotlyChart'] .updatemenu-button").first.click()
    page.wait_for_timeout(1000)
    early = page.evaluate(window_x)
    page.wait_for_timeout(1500)
    later = page.evaluate(window_x)
    during = frames[before:]
    # The window slid along the row (Play starts at column 0), frame by frame.
    assert start != early < later, (start, early, later)
    assert during == [], during  # and the server heard nothing of it


def test_axis_titles_clear_their_tick_labels(page, app_url):
    # The patch's row numbers around the seed's pixel (249) have three
    # digits; its "row" title must fit beside them in the margin.
    open_step_page(page, app_url)
    assert title_overlaps(page) == []
