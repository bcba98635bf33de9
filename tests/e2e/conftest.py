"""A real `streamlit run app.py` and a headless Chromium, as Streamlit's own e2e tests do."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


#: The stages' tile charts (the histograms beside them sit in "histogram_*" containers).
TILE_CHARTS = "[data-testid='stPlotlyChart']:not([class*='st-key-histogram'] *)"


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _require_browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CONVLAB_REQUIRE_BROWSER"):
            pytest.fail(
                f"Chromium is required for the browser tests and was not found at {CHROMIUM}"
            )
        pytest.skip("Chromium not installed (apt-get install chromium)")


@pytest.fixture(scope="module")
def app_server(tmp_path_factory):
    """``streamlit run app.py`` on a free port: its URL, its log, and the log
    as it stood when ``/_stcore/health`` first answered ``ok``."""
    _require_browser()
    port = _free_port()
    log_path = tmp_path_factory.mktemp("server") / "streamlit.log"
    log = open(log_path, "w")  # noqa: SIM115 - closed with the server
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",
            "none",
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.read().decode() == "ok":
                        log.flush()
                        log_at_health = log_path.read_text()
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail("streamlit run did not become healthy within 60 s")
            time.sleep(0.3)
        yield SimpleNamespace(url=url, log_path=log_path, log_at_health=log_at_health)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="module")
def app_url(app_server):
    return app_server.url


@pytest.fixture(scope="module")
def browser():
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, app_url):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()


def wait_for_rerun(page):
    """Wait until the script has run and finished."""
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']")
    page.wait_for_function(
        "() => !document.querySelector(\"[data-testid='stApp'][data-test-script-state='running']\")"
    )
