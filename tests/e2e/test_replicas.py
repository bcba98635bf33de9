"""Two replicas behind the repo's nginx config: sticky sessions, and a killed replica.

Two ``streamlit run`` replicas start with the command of ``deploy/Dockerfile``
(on loopback ports), and Debian's nginx runs ``deploy/nginx/convlab.conf`` with
its upstream lines pointed at them, as the test user, with its files in a
temporary prefix. Two browser sessions go through nginx: every response one
session gets says (``X-Upstream``, added by the config) it came from one
replica, and nginx's access log shows each session's websocket (where the
reruns travel) on that replica. Then the replica serving one session is
killed mid-session: the page reconnects to the other replica and shows the
same settings, because the link holds them; the other session never notices.
"""

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
import uuid
from contextlib import ExitStack

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ROOT, _free_port, _require_browser, wait_for_rerun

sys.path.insert(0, str(ROOT / "bench"))
from cluster import NGINX, nginx_config, replica_command, stop

pytestmark = pytest.mark.e2e
# Teachers' links, with the names of README's "Links" table.
LINK_A = "?filters=3&padding=same"
LINK_B = "?stride=2"


def wait_healthy(url, process, what, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{what} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.3)
    pytest.fail(f"{what} not healthy within {timeout} s")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """Two replicas and nginx in front: nginx's URL, the replicas by address, the log."""
    _require_browser()
    if not shutil.which(NGINX):
        if os.environ.get("CONVLAB_REQUIRE_BROWSER"):
            pytest.fail(f"nginx is required for the replica test and was not found at {NGINX}")
        pytest.skip("nginx not installed (apt-get install nginx)")
    prefix = tmp_path_factory.mktemp("nginx")
    with ExitStack() as stack:
        replicas = {}
        for n in (1, 2):
            port = _free_port()
            log = stack.enter_context(open(prefix / f"replica-{n}.log", "w"))
            process = subprocess.Popen(
                replica_command(port), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
            )
            stack.callback(stop, process)
            replicas[f"127.0.0.1:{port}"] = process
        listen = _free_port()
        config = nginx_config(prefix, listen, [int(a.split(":")[1]) for a in replicas])
        nginx_cmd = [NGINX, "-p", str(prefix), "-c", str(config), "-e", str(prefix / "error.log")]
        check = subprocess.run([*nginx_cmd, "-t"], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        nginx = subprocess.Popen(nginx_cmd, stderr=subprocess.STDOUT, stdout=subprocess.DEVNULL)
        stack.callback(stop, nginx)
        for address, process in replicas.items():
            wait_healthy(f"http://{address}", process, f"replica {address}")
        url = f"http://127.0.0.1:{listen}"
        wait_healthy(url, nginx, "nginx")
        yield {"url": url, "replicas": replicas, "prefix": prefix}


class Student:
    """One browser session through nginx, recording which replica answered each response."""

    def __init__(self, browser, url):
        self.context = browser.new_context(viewport={"width": 1300, "height": 900})
        self.url = url
        self.upstreams = []
        self.context.on("response", self._on_response)
        self.page = self.context.new_page()
        self.page.set_default_timeout(60_000)

    def _on_response(self, response):
        upstream = response.headers.get("x-upstream")
        if upstream:
            self.upstreams.append(upstream)

    def route(self):
        cookies = {c["name"]: c["value"] for c in self.context.cookies(self.url)}
        return cookies.get("convlab_route")

    def pin_elsewhere(self, avoid):
        """Take a route cookie that nginx hashes to a replica other than ``avoid``."""
        for _ in range(40):
            self.context.clear_cookies()
            self.context.add_cookies(
                [{"name": "convlab_route", "value": uuid.uuid4().hex, "url": self.url}]
            )
            response = self.context.request.get(f"{self.url}/_stcore/health")
            if response.headers["x-upstream"] != avoid:
                self.upstreams.clear()
                return
        pytest.fail("no route cookie reached the other replica in 40 tries")

    def open(self, link):
        self.page.goto(self.url + "/" + link)
        wait_for_rerun(self.page)
        # A busy machine (two replicas, nginx, Chromium on two cores) can take a while.
        expect(self.page.get_by_test_id("stPlotlyChart").first).to_be_visible(timeout=60_000)

    def combobox(self, label):
        return self.page.get_by_test_id("stSidebar").get_by_role("combobox", name=label)

    def choose(self, label, option):
        box = self.combobox(label)
        box.click()
        box.fill(option)
        self.page.get_by_role("option", name=option, exact=True).click()
        expect(self.combobox(label)).to_have_value(option, timeout=30_000)
        wait_for_rerun(self.page)

    def slider_value(self, label):
        slider = self.page.get_by_test_id("stSidebar").get_by_role("slider", name=label)
        return slider.input_value()

    def no_traceback(self):
        expect(self.page.get_by_test_id("stException")).to_have_count(0)
        expect(self.page.get_by_test_id("stMain")).not_to_contain_text("Traceback")


def served_by(upstreams):
    """The replicas that answered: the last address nginx tried for each response."""
    return {value.split(",")[-1].strip() for value in upstreams}


def access_log(prefix):
    """(route, upstream addresses, request) per line of nginx's access log."""
    pattern = re.compile(r'route=(\S+) upstream=(.*?) status=\d+ "(.*)"$')
    rows = []
    for line in (prefix / "access.log").read_text().splitlines():
        match = pattern.search(line)
        if match:
            route, upstream, request = match.groups()
            rows.append((route, [u.strip() for u in upstream.split(",")], request))
    return rows


def test_sessions_stick_to_a_replica_and_survive_losing_it(cluster, browser):
    url, replicas = cluster["url"], cluster["replicas"]
    a = Student(browser, url)
    a.open(LINK_A)
    a.choose("Activation", "tanh")  # a rerun over A's websocket; the app writes it into the URL
    [home_a] = set(a.upstreams)
    assert re.search(r"activation=tanh", a.page.url)

    b = Student(browser, url)
    b.pin_elsewhere(home_a)
    b.open(LINK_B)
    b.choose("Padding", "same")
    [home_b] = set(b.upstreams)
    assert home_b != home_a and {home_a, home_b} == set(replicas)
    route_a, route_b = a.route(), b.route()
    assert route_a and route_b and route_a != route_b

    # Kill A's replica in the middle of A's session.
    replicas[home_a].kill()
    replicas[home_a].wait(timeout=10)
    seen = len(a.upstreams)
    deadline = time.monotonic() + 90
    while home_b not in served_by(a.upstreams[seen:]):  # the page pings, through nginx
        assert time.monotonic() < deadline, "the page did not reconnect within 90 s"
        a.page.wait_for_timeout(200)
    a.page.wait_for_function(
        "() => document.querySelector(\"[data-testid='stApp']\")"
        ".getAttribute('data-test-connection-state') === 'CONNECTED'",
        timeout=90_000,
    )
    expect(a.page.get_by_test_id("stPlotlyChart").first).to_be_visible(timeout=90_000)
    wait_for_rerun(a.page)
    # Everything A fetched since then came from the surviving replica (nginx
    # tried the dead one first until it marked it failed), and the view is the
    # link's: filters 3, padding same, and tanh, which A chose.
    assert served_by(a.upstreams[seen:]) == {home_b}
    assert a.slider_value("Filters") == "3"
    expect(a.combobox("Padding")).to_have_value("same")
    expect(a.combobox("Activation")).to_have_value("tanh")
    a.no_traceback()
    a.choose("Pooling", "none")  # and it keeps working there
    a.no_traceback()

    # B never left its replica.
    b.choose("Activation", "sigmoid")
    assert set(b.upstreams) == {home_b}
    assert b.slider_value("Stride") == "2"
    b.no_traceback()
    a.context.close()
    b.context.close()

    # nginx's log: each session's websocket (where its reruns go) on its replica;
    # A's websocket after the kill on the survivor.
    time.sleep(0.5)
    log = access_log(cluster["prefix"])
    streams = {
        route: [ups for r, ups, request in log if r == route and "/_stcore/stream" in request]
        for route in (route_a, route_b)
    }
    assert streams[route_b] and all(ups == [home_b] for ups in streams[route_b])
    assert streams[route_a][0] == [home_a]
    assert len(streams[route_a]) >= 2 and all(ups[-1] == home_b for ups in streams[route_a][1:])
    assert all(ups == [home_b] for r, ups, _ in log if r == route_b)
