"""Links, the projector lock and the downloads in a real browser."""

import io
import urllib.parse

import numpy as np
from PIL import Image
from playwright.sync_api import expect

from cnn_core.images import load_sample, prepare_input
from cnn_core.model import build_model, run_forward
from cnn_core.spec import PipelineSpec
from tests.e2e.conftest import TILE_CHARTS, wait_for_rerun
from tests.e2e.test_browser import choose


def open_link(page, url, charts=4):
    page.goto(url)
    wait_for_rerun(page)
    # A busy machine can take more than expect's default 5 s to draw them.
    expect(page.locator(TILE_CHARTS)).to_have_count(charts, timeout=60_000)


def query(page):
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(page.url).query))


def test_a_written_link_opens_its_view_and_survives_the_address_bar(page, app_url):
    open_link(page, f"{app_url}/?kernel=5&stride=2&padding=same")
    body = page.get_by_test_id("stMain")
    expect(body).to_contain_text("ceil(512/2) = 256")
    expect(body).to_contain_text("(None, 256, 256, 1)")
    expect(body).to_contain_text("(None, 128, 128, 1)")
    expect(body).to_contain_text("params = 1*(5*5*1) + 1 = 26")
    expect(page.get_by_test_id("stException")).to_have_count(0)
    assert query(page) == {"kernel": "5", "stride": "2", "padding": "same"}

    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_text("Share this view").click()
    shared = sidebar.get_by_test_id("stCode").first
    expect(shared).to_contain_text(f"{app_url}/?kernel=5&stride=2&padding=same")

    choose(page, "Activation", "tanh")
    expect(body).to_contain_text("tanh(x)")
    wait_for_rerun(page)
    page.wait_for_function("() => location.search.includes('activation=tanh')")
    address = page.url
    again = page.context.new_page()
    open_link(again, address)
    expect(again.get_by_test_id("stMain")).to_contain_text("ceil(512/2) = 256")
    expect(again.get_by_test_id("stMain")).to_contain_text("tanh(x)")
    assert query(again) == query(page)


def test_an_old_link_opens_and_the_address_is_rewritten(page, app_url):
    open_link(page, f"{app_url}/?kernel_size=5&padding_mode=same&source=Coffee&lms=7")
    body = page.get_by_test_id("stMain")
    expect(body).to_contain_text("original image: (400, 600, 3)")
    expect(body).to_contain_text("ceil(512/1) = 512")
    page.wait_for_function("() => location.search.includes('kernel=5')")
    assert query(page) == {"image": "coffee", "kernel": "5", "padding": "same", "lms": "7"}
    expect(page.get_by_test_id("stAlertContentWarning")).to_have_count(0)


def test_bad_values_get_one_warning(page, app_url):
    open_link(page, f"{app_url}/?kernel=banana&filters=2")
    warning = page.get_by_test_id("stAlertContentWarning")
    expect(warning).to_have_count(1)
    expect(warning).to_contain_text("kernel=banana")
    expect(warning).to_contain_text("so the default 15 is used")
    expect(page.get_by_test_id("stMain")).to_contain_text("params = 2*(15*15*1) + 2 = 452")


def test_a_locked_link_hides_the_settings_on_every_page(page, app_url):
    open_link(page, f"{app_url}/?filters=2&image=coins&lock=1")
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar).to_contain_text("Locked view: settings come from the link")
    for role in ("combobox", "slider", "checkbox", "spinbutton", "textbox"):
        expect(sidebar.get_by_role(role)).to_have_count(0)
    # The one control left is the language: its options are the only radios.
    expect(sidebar.get_by_role("radio")).to_have_count(2)
    expect(
        sidebar.get_by_role("radiogroup", name="Language / 语言").get_by_role("radio")
    ).to_have_count(2)
    expect(
        sidebar.get_by_role("button", name="Reset to the seed article's settings")
    ).to_have_count(0)
    expect(page.get_by_test_id("stMain")).to_contain_text("original image: (303, 384)")
    sidebar.get_by_role("link", name="Kernels").click()
    expect(page.get_by_test_id("stMain")).to_contain_text("Each of the 2 filters", timeout=30_000)
    wait_for_rerun(page)
    assert query(page) == {"image": "coins", "filters": "2", "lock": "1"}


def test_downloads_are_built_on_click(page, app_url, app_server):
    open_link(page, app_url)
    with page.expect_download() as download:
        page.get_by_test_id("stDownloadButton").filter(has_text="PNG").nth(1).click()
    assert download.value.suggested_filename == "convlab_conv2d.png"
    image = Image.open(download.value.path())
    assert (
        image.format == "PNG" and image.mode == "RGB"
    )  # the convolution is signed: blue-white-red, as on screen
    assert image.width >= 498 and image.height >= 498

    with page.expect_download() as download:
        page.get_by_test_id("stDownloadButton").filter(has_text="NPZ").click()
    with np.load(io.BytesIO(open(download.value.path(), "rb").read())) as npz:
        spec = PipelineSpec()
        expected = run_forward(
            build_model(spec), prepare_input(load_sample("Cat (chelsea)"), spec).batch
        )
        for name, key in (("conv2d", "conv"), ("max_pooling2d", "pool"), ("input_layer", "input")):
            np.testing.assert_allclose(npz[name], expected[key], rtol=1e-5, atol=1e-4)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    log = app_server.log_path.read_text()
    assert "Traceback" not in log and "missing ScriptRunContext" not in log
