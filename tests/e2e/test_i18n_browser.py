"""中文 in a real browser: the switch, a setting, a page change, and the link."""

import re

from playwright.sync_api import expect

from tests.e2e.conftest import wait_for_rerun


def test_chinese_stays_through_a_page_change_and_in_the_link(page, app_url):
    page.goto(app_url)
    wait_for_rerun(page)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar).to_contain_text("Image source", timeout=60_000)

    sidebar.get_by_role("radio", name="中文", exact=True).click()
    expect(sidebar).to_contain_text("图像来源", timeout=30_000)
    expect(page.get_by_test_id("stMain")).to_contain_text("一个卷积层对照片做了什么")
    wait_for_rerun(page)

    sidebar.get_by_text("RGB（3 个通道）", exact=True).click()  # a setting, in Chinese
    expect(page).to_have_url(re.compile(r"[?&]mode=rgb"), timeout=30_000)
    wait_for_rerun(page)

    sidebar.get_by_role("link", name="卷积核").click()  # the navigation, in Chinese
    expect(page).to_have_url(re.compile(r"/Kernels\?"), timeout=30_000)
    wait_for_rerun(page)
    main = page.get_by_test_id("stMain")
    expect(main).to_contain_text("每个滤波器", timeout=60_000)
    expect(sidebar).to_contain_text("图像来源")
    expect(sidebar.get_by_role("radio", name="中文", exact=True)).to_be_checked()
    assert re.search(r"[?&]lang=zh\b", page.url) and re.search(r"[?&]mode=rgb\b", page.url)
    expect(page).to_have_title(re.compile("卷积核 · convlab"))
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_a_link_with_lang_zh_opens_in_chinese(browser, app_url):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        fresh = context.new_page()
        fresh.set_default_timeout(60_000)
        fresh.goto(f"{app_url}/Convolution_step?lang=zh&kernel=5")
        wait_for_rerun(fresh)
        main = fresh.get_by_test_id("stMain")
        expect(main).to_contain_text("一个输出像素，一步一步来", timeout=60_000)
        expect(main).to_contain_text("5x5 卷积核")
        expect(fresh.get_by_test_id("stSidebar")).to_contain_text("卷积核尺寸")
        assert "lang=zh" in fresh.url
    finally:
        context.close()
