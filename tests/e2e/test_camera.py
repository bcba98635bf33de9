"""The "Camera" image source, with Chromium's fake camera (a moving test pattern)."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    TILE_CHARTS,
    _require_browser,
    wait_for_rerun,
)
from tests.e2e.test_browser import choose, open_app

FAKE_CAMERA = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]


@pytest.fixture(scope="module")
def camera_browser():
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *FAKE_CAMERA]
        )
        yield browser
        browser.close()


def test_a_camera_picture_becomes_the_input(camera_browser, app_url):
    context = camera_browser.new_context(
        viewport={"width": 1400, "height": 1000}, permissions=["camera"]
    )
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        open_app(page, app_url)
        main = page.get_by_test_id("stMain")
        expect(main).to_contain_text("original image: (300, 451, 3)")
        choose(page, "Image source", "Camera")
        wait_for_rerun(page)
        sidebar = page.get_by_test_id("stSidebar")
        expect(sidebar).to_contain_text("No picture taken yet")
        take = sidebar.get_by_role("button", name="Take Photo")
        expect(take).to_be_enabled()
        # "Take Photo" is enabled before the fake stream has delivered a frame,
        # and a click then captures nothing: click again until a picture arrives.
        for attempt in range(3):
            take.click()
            try:
                # The picture replaces the cat (451x300) as the input; the fake
                # camera's size is whatever Streamlit asks it for.
                expect(main).to_contain_text("camera picture · Conv2D", timeout=30_000)
                break
            except AssertionError:
                if attempt == 2:
                    raise
                page.wait_for_timeout(1_000)
        expect(main).not_to_contain_text("original image: (300, 451, 3)")
        expect(main).to_contain_text(re.compile(r"original image: \(\d+, \d+, 3\)"))
        wait_for_rerun(page)
        expect(page.locator(TILE_CHARTS)).to_have_count(4)
        expect(page.get_by_test_id("stException")).to_have_count(0)
        expect(sidebar.get_by_test_id("stAlertContentError")).to_have_count(0)
    finally:
        context.close()
