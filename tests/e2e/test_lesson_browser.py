"""Lesson 1 end to end, and a comparison from a link, in a real browser."""

from playwright.sync_api import expect

from tests.e2e.conftest import TILE_CHARTS, wait_for_rerun


def _main(page):
    return page.get_by_test_id("stMain")


def _next(page, step, total=10):
    """Press Next and wait until step ``step`` is drawn (not just any rerun)."""
    _main(page).get_by_role("button", name="Next").click()
    expect(_main(page)).to_contain_text(f"Step {step} of {total}", timeout=60_000)
    wait_for_rerun(page)


def _predict(page, number):
    field = _main(page).get_by_role("spinbutton", name="Your prediction")
    field.fill(str(number))
    field.press("Enter")
    wait_for_rerun(page)
    expect(field).to_have_value(str(number))
    _main(page).get_by_role("button", name="Check", exact=True).click()
    wait_for_rerun(page)


def test_lesson_one_end_to_end_with_a_wrong_and_a_right_prediction(page, app_url):
    page.goto(app_url)
    wait_for_rerun(page)
    page.get_by_test_id("stSidebar").get_by_role("link", name="Lesson").click()
    wait_for_rerun(page)
    main = _main(page)
    expect(main).to_contain_text("Step 1 of 10")
    expect(main).to_contain_text("(300, 451, 3)")
    assert "lesson=1" in page.url and "step=1" in page.url
    _next(page, 2)
    expect(main).to_contain_text("Largest difference between the two")
    expect(main.get_by_test_id("stImage")).to_have_count(2)
    for step in (3, 4, 5):
        _next(page, step)
    expect(main).not_to_contain_text("(None, 498, 498, 1)")  # hidden until checked

    _predict(page, 497)
    expect(main).to_contain_text("that is 512 - 15, but the formula adds 1")
    expect(main).to_contain_text("floor((512 + 2·0 − 15) / 1) + 1 = floor(497) + 1 = 498")
    expect(main.locator(TILE_CHARTS)).to_have_count(1, timeout=60_000)
    expect(main).to_contain_text("0 of 1 predictions right")
    assert "step=5" in page.url

    _next(page, 6)
    _predict(page, 226)
    expect(main).to_contain_text("Right: 226.")
    expect(main).to_contain_text("1 of 2 predictions right")

    for step in (7, 8, 9):
        _next(page, step)
    main.get_by_role("button", name="Show answer").click()
    wait_for_rerun(page)
    expect(main).to_contain_text("The answer is 249.")
    expect(main).to_contain_text("1 of 3 predictions right")
    _next(page, 10)
    expect(main).to_contain_text("a one-layer CNN")
    expect(main).to_contain_text("max_pooling2d (MaxPooling2D)")
    expect(main.get_by_role("button", name="Next")).to_be_disabled()
    assert "lesson=1" in page.url and "step=10" in page.url
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_a_lesson_link_opens_its_step(page, app_url):
    page.goto(f"{app_url}/Lesson?lesson=2&step=5")
    wait_for_rerun(page)
    main = _main(page)
    expect(main).to_contain_text("Step 5 of 5")
    expect(main).to_contain_text("A kernel larger than the input")
    _predict(page, -14)
    expect(main).to_contain_text("Right: -14.")
    expect(main).to_contain_text("The convolution output would be zero or negative")


def test_a_comparison_from_a_link(page, app_url):
    page.goto(f"{app_url}/Compare?b_padding=same")
    wait_for_rerun(page)
    main = _main(page)
    expect(main.locator(TILE_CHARTS)).to_have_count(8, timeout=60_000)
    expect(main).to_contain_text("Differs: output shape, multiply-adds.")
    main.get_by_role("button", name="stride 1 vs 2").click()
    # A's pooled output is (None, 249, 249, 1) already: wait for B's link, then B's numbers.
    page.wait_for_function(
        "() => location.search.includes('b_stride=2') && !location.search.includes('b_padding')",
        timeout=60_000,
    )
    wait_for_rerun(page)
    expect(main).to_contain_text("(None, 124, 124, 1)")
    expect(page.get_by_test_id("stException")).to_have_count(0)
