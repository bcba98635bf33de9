"""The Train page in a real browser: draw a digit, two students training at once, Learned."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import TILE_CHARTS, wait_for_rerun
from tests.e2e.test_browser import choose, open_app

pytestmark = pytest.mark.e2e


def open_train(page, url):
    page.goto(f"{url}/Train")
    wait_for_rerun(page)
    expect(page.get_by_test_id("stMain")).to_contain_text("Draw a digit", timeout=60_000)


def draw_stroke(page):
    """A vertical stroke down the middle of the canvas, drawn with the mouse."""
    canvas = page.locator("canvas").last
    expect(canvas).to_be_visible(timeout=60_000)
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    # Below the canvas's floating toolbar, whose box reaches into the canvas's top.
    x, top = box["x"] + box["width"] / 2, box["y"] + 60
    page.mouse.move(x, top)
    page.mouse.down()
    for step in range(1, 23):
        page.mouse.move(x, top + step * 9, steps=2)
    page.mouse.up()


def test_draw_a_digit_and_see_the_prediction(page, app_url):
    open_train(page, app_url)
    main = page.get_by_test_id("stMain")
    expect(main).to_contain_text("Draw a digit from 0 to 9")
    draw_stroke(page)
    expect(main).to_contain_text("It reads a", timeout=60_000)
    expect(main).to_contain_text("8x8 block counts: the input")
    expect(main).to_contain_text("Feature maps of every layer for your drawing")
    expect(page.get_by_test_id("stException")).to_have_count(0)
    page.get_by_role("button", name="Clear").click()
    expect(main).to_contain_text("Draw a digit from 0 to 9", timeout=60_000)
    expect(main).not_to_contain_text("It reads a")


def test_two_students_training_at_once_queue_and_stop(browser, app_url):
    pages = []
    for _ in range(2):
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(60_000)
        open_train(page, app_url)
        pages.append(page)
    first, second = pages
    try:
        first.get_by_role("button", name="Train", exact=True).click()
        expect(first.get_by_test_id("stMain")).to_contain_text("Epoch", timeout=60_000)
        second.get_by_role("button", name="Train", exact=True).click()
        expect(second.get_by_test_id("stMain")).to_contain_text(
            "Another training is running; yours starts when it ends", timeout=30_000
        )
        expect(second.get_by_test_id("stMain")).to_contain_text("ahead of yours: 1")
        first.get_by_role("button", name="Stop").click()
        expect(first.get_by_test_id("stMain")).to_contain_text("Stopped after", timeout=60_000)
        # The second starts when the first ends; stop it too.
        expect(second.get_by_test_id("stMain")).to_contain_text("Epoch", timeout=60_000)
        second.get_by_role("button", name="Stop").click()
        expect(second.get_by_test_id("stMain")).to_contain_text("Stopped after", timeout=60_000)
        for page in pages:
            expect(page.get_by_test_id("stException")).to_have_count(0)
    finally:
        for page in pages:
            page.context.close()


def test_learned_shows_maps_without_training(page, app_url):
    open_app(page, app_url)
    choose(page, "Kernel", "Learned (trained on digits)")
    wait_for_rerun(page)
    expect(page.get_by_test_id("stSidebar")).to_contain_text("the committed model's first layer")
    conv = page.locator(TILE_CHARTS).nth(1)
    expect(conv).to_contain_text("filter 16", timeout=60_000)
    assert "weights=learned" in page.url
    expect(page.get_by_test_id("stException")).to_have_count(0)
