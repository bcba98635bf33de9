"""URL fetching against a real HTTP server on 127.0.0.1, and the address checker.

Nothing here leaves 127.0.0.1: host names are answered by a monkeypatched
``socket.getaddrinfo``, refused addresses are refused before any connection
(checked by a spy on :func:`cnn_core.fetch._connect`), and the only server
is the one started here.
"""

from __future__ import annotations

import io
import re
import shutil
import socket
import ssl
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import ip_address, ip_network
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image

from cnn_core import fetch
from cnn_core.decode import DecodedImage
from cnn_core.errors import ConvlabError, FetchError, ImageError
from cnn_core.fetch import (
    DEFAULT_POLICY,
    FetchPolicy,
    address_refusal,
    check_address,
    fetch_image,
    fetch_image_bytes,
)

LOCAL = ip_network("127.0.0.1/32")
#: Test-only: lets the tests reach their own server on 127.0.0.1, any port.
TEST_POLICY = FetchPolicy(
    allowed_networks=(LOCAL,),
    allowed_ports=None,
    connect_timeout=2.0,
    read_timeout=2.0,
    total_timeout=6.0,
    max_bytes=100_000,
)


def _png(width=64, height=48):
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


PNG = _png()
HTML = b"<!DOCTYPE html><html><body><img src='cat.png'></body></html>"


# ----------------------------------------------------------------------------- server


class _Handler(BaseHTTPRequestHandler):
    server_version = "convlab-test"

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.server.seen.append({"path": self.path, "headers": dict(self.headers.items())})
        parts = urlsplit(self.path)
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        route = getattr(
            self,
            "route_" + (parts.path.strip("/").replace("-", "_").replace(".", "_") or "index"),
            None,
        )
        try:
            if route is None:
                self.send_error(404)
            else:
                route(query)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass

    def _body(self, body, content_type="image/png", extra=()):
        self.send_response(200)
        if content_type is not None:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def route_cat_png(self, query):
        self._body(PNG)

    def route_typed(self, query):
        content_type = query.get("type", "image/png")
        body = HTML if query.get("body") == "html" else PNG
        self._body(body, None if content_type == "none" else content_type)

    def route_gzip(self, query):
        self._body(PNG, extra=(("Content-Encoding", "gzip"),))

    def route_status(self, query):
        self.send_error(int(query.get("code", "404")))

    def route_redirect(self, query):
        self.send_response(int(query.get("status", "302")))
        if "to" in query:
            self.send_header("Location", query["to"])
        self.send_header("Content-Length", "0")
        self.end_headers()

    def route_chain(self, query):
        remaining = int(query["n"])
        if remaining == 0:
            self.route_cat_png(query)
            return
        self.send_response(302)
        self.send_header("Location", f"/chain?n={remaining - 1}")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def route_loop(self, query):
        self.send_response(301)
        self.send_header("Location", "/loop")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def route_big(self, query):
        size = int(query.get("size", "1000000"))
        mode = query.get("length", "declared")
        block = PNG[:8] + bytes(4088)
        if mode == "chunked":
            self.protocol_version = "HTTP/1.1"
            self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        if mode == "declared":
            self.send_header("Content-Length", str(size))
        elif mode == "chunked":
            self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        sent = 0
        while sent < size:
            piece = block[: size - sent]
            if mode == "chunked":
                self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            else:
                self.wfile.write(piece)
            sent += len(piece)
            self.server.sent_bytes = sent
        if mode == "chunked":
            self.wfile.write(b"0\r\n\r\n")

    def route_short(self, query):
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(PNG) + 100))
        self.end_headers()
        self.wfile.write(PNG)

    def route_slow_body(self, query):
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", "100000")
        self.end_headers()
        for _ in range(400):
            self.wfile.write(b"\x00")
            self.wfile.flush()
            time.sleep(0.05)

    def route_slow_headers(self, query):
        self.wfile.write(b"HTTP/1.0 200 OK\r\n")
        for index in range(400):
            self.wfile.write(f"X-Drip-{index}: 1\r\n".encode())
            self.wfile.flush()
            time.sleep(0.05)

    def route_stall(self, query):
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", "100000")
        self.end_headers()
        self.wfile.write(PNG[:20])
        self.wfile.flush()
        time.sleep(4)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def server_bind(self):
        # Skip HTTPServer's getfqdn(): it could make a reverse DNS query.
        super(ThreadingHTTPServer, self).server_bind()
        self.server_name, self.server_port = self.server_address[:2]


class _Running:
    def __init__(self, server):
        self.server = server
        self.port = server.server_address[1]
        self.seen = server.seen

    def url(self, path, host="127.0.0.1", scheme="http"):
        return f"{scheme}://{host}:{self.port}{path}"


def _start(context=None):
    server = _Server(("127.0.0.1", 0), _Handler)
    server.seen = []
    server.sent_bytes = 0
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    return server, thread


@pytest.fixture(scope="module")
def http_server():
    server, thread = _start()
    yield _Running(server)
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def server(http_server):
    http_server.seen.clear()
    http_server.server.sent_bytes = 0
    return http_server


@pytest.fixture
def connects(monkeypatch):
    """Every (family, sockaddr) the fetcher connects to."""
    attempts = []
    real = fetch._connect

    def spy(family, sockaddr, timeout):
        attempts.append(sockaddr[0])
        return real(family, sockaddr, timeout)

    monkeypatch.setattr(fetch, "_connect", spy)
    return attempts


def _fake_dns(monkeypatch, table, calls=None):
    """Answer getaddrinfo from ``table`` (name -> list of IPs); never touch the network."""

    def getaddrinfo(host, port, *args, **kwargs):
        if calls is not None:
            calls.append(host)
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        answers = []
        for address in table[host]:
            if ":" in address:
                answers.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0)))
            else:
                answers.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)))
        return answers

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


# ----------------------------------------------------------------------------- success


def test_good_png_is_fetched_and_decoded(server, connects):
    assert fetch_image_bytes(server.url("/cat.png"), policy=TEST_POLICY) == PNG
    decoded = fetch_image(server.url("/cat.png"), policy=TEST_POLICY)
    assert isinstance(decoded, DecodedImage)
    assert decoded.image.shape == (48, 64, 3)
    assert decoded.format == "PNG"
    assert set(connects) == {"127.0.0.1"}
    headers = server.seen[0]["headers"]
    assert headers["Host"] == f"127.0.0.1:{server.port}"
    assert headers["Accept-Encoding"] == "identity"


def test_surrounding_spaces_and_case_insensitive_content_type(server):
    url = "  " + server.url("/typed?type=IMAGE/PNG;%20charset=binary") + "\n"
    assert fetch_image_bytes(url, policy=TEST_POLICY) == PNG


def test_host_name_is_resolved_once_and_the_checked_ip_is_used(server, connects, monkeypatch):
    calls = []
    _fake_dns(monkeypatch, {"images.test": ["127.0.0.1"]}, calls)
    url = server.url("/cat.png", host="images.test")
    assert fetch_image_bytes(url, policy=TEST_POLICY) == PNG
    assert calls == ["images.test"]
    assert connects == ["127.0.0.1"]
    assert server.seen[0]["headers"]["Host"] == f"images.test:{server.port}"


def test_redirect_chain_of_three_is_followed(server, connects):
    assert fetch_image_bytes(server.url("/chain?n=3"), policy=TEST_POLICY) == PNG
    assert [seen["path"] for seen in server.seen] == [
        "/chain?n=3",
        "/chain?n=2",
        "/chain?n=1",
        "/chain?n=0",
    ]


def test_relative_and_absolute_redirects_are_followed(server):
    for target in ("/cat.png", server.url("/cat.png")):
        url = server.url(f"/redirect?to={target}&status=307")
        assert fetch_image_bytes(url, policy=TEST_POLICY) == PNG


# ----------------------------------------------------------------------------- refusals


def test_default_policy_refuses_the_local_server(server, connects):
    # The test server's port is not a web port: refused before the address is checked.
    with pytest.raises(FetchError, match=f"port {server.port}") as caught:
        fetch_image_bytes(server.url("/cat.png"))
    assert "Download the image yourself" in str(caught.value)
    with pytest.raises(FetchError, match="loopback"):
        fetch_image("http://127.0.0.1/cat.png")
    assert connects == []
    assert server.seen == []


@pytest.mark.parametrize(
    "target, reason",
    [
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://10.0.0.1/cat.png", "private"),
        ("http://[::1]/cat.png", "loopback"),
        ("http://[fe80::1]/cat.png", "link-local"),
        ("http://0.0.0.0/cat.png", "unspecified"),
        ("http://10.1/cat.png", "private"),
        ("file:///etc/passwd", "file: URL"),
        ("ftp://127.0.0.1/cat.png", "ftp: URL"),
        ("gopher://127.0.0.1:70/_", "gopher: URL"),
    ],
)
def test_redirect_to_a_refused_target_is_refused_before_connecting(
    server, connects, target, reason
):
    with pytest.raises(FetchError, match=reason):
        fetch_image_bytes(server.url(f"/redirect?to={target}"), policy=TEST_POLICY)
    assert set(connects) == {"127.0.0.1"}
    assert len(server.seen) == 1


def test_redirect_to_ipv4_mapped_loopback_is_refused(server, connects):
    target = f"http://[::ffff:127.0.0.1]:{server.port}/cat.png"
    with pytest.raises(FetchError, match="IPv4-mapped"):
        fetch_image_bytes(server.url(f"/redirect?to={target}"), policy=TEST_POLICY)
    assert connects == ["127.0.0.1"]


def test_redirect_to_a_name_resolving_to_metadata_is_refused(server, connects, monkeypatch):
    _fake_dns(monkeypatch, {"metadata.test": ["169.254.169.254"]})
    with pytest.raises(FetchError, match=r"'metadata\.test' resolves to 169\.254\.169\.254"):
        fetch_image_bytes(
            server.url("/redirect?to=http://metadata.test/latest/"), policy=TEST_POLICY
        )
    assert connects == ["127.0.0.1"]


def test_more_than_three_redirects_are_refused(server):
    with pytest.raises(FetchError, match="more than 3 times"):
        fetch_image_bytes(server.url("/chain?n=4"), policy=TEST_POLICY)
    assert len(server.seen) == 4


def test_redirect_loop_is_refused(server):
    with pytest.raises(FetchError, match="loop"):
        fetch_image_bytes(server.url("/loop"), policy=TEST_POLICY)
    assert len(server.seen) == 1


def test_redirect_without_location_is_refused(server):
    with pytest.raises(FetchError, match="without saying where"):
        fetch_image_bytes(server.url("/redirect"), policy=TEST_POLICY)


def test_max_redirects_zero_follows_none(server):
    policy = FetchPolicy(allowed_networks=(LOCAL,), allowed_ports=None, max_redirects=0)
    with pytest.raises(FetchError, match="more than 0 times"):
        fetch_image_bytes(server.url("/chain?n=1"), policy=policy)


def test_declared_oversize_body_is_refused_up_front(server):
    with pytest.raises(FetchError, match="1,000,000 bytes") as caught:
        fetch_image_bytes(server.url("/big?length=declared&size=1000000"), policy=TEST_POLICY)
    assert "not downloaded" in str(caught.value)


@pytest.mark.parametrize("mode", ["none", "chunked"])
def test_undeclared_oversize_body_is_cut_off_while_streaming(server, mode):
    with pytest.raises(FetchError, match="stopped after") as caught:
        fetch_image_bytes(server.url(f"/big?length={mode}&size=5000000"), policy=TEST_POLICY)
    received = int(str(caught.value).split("stopped after ")[1].split(" bytes")[0].replace(",", ""))
    assert TEST_POLICY.max_bytes < received <= TEST_POLICY.max_bytes + 64 * 1024


def test_body_exactly_at_the_cap_is_accepted(server):
    url = server.url(f"/big?length=none&size={TEST_POLICY.max_bytes}")
    assert len(fetch_image_bytes(url, policy=TEST_POLICY)) == TEST_POLICY.max_bytes


def test_slow_body_hits_the_overall_deadline(server):
    policy = FetchPolicy(
        allowed_networks=(LOCAL,), allowed_ports=None, read_timeout=0.5, total_timeout=1.0
    )
    started = time.monotonic()
    with pytest.raises(FetchError, match="longer than 1 seconds"):
        fetch_image_bytes(server.url("/slow-body"), policy=policy)
    assert time.monotonic() - started < 2.5


def test_slow_headers_hit_the_overall_deadline(server):
    policy = FetchPolicy(
        allowed_networks=(LOCAL,), allowed_ports=None, read_timeout=0.5, total_timeout=1.0
    )
    started = time.monotonic()
    with pytest.raises(FetchError, match="longer than 1 seconds"):
        fetch_image_bytes(server.url("/slow-headers"), policy=policy)
    assert time.monotonic() - started < 2.5


def test_stalled_body_hits_the_read_timeout(server):
    policy = FetchPolicy(
        allowed_networks=(LOCAL,), allowed_ports=None, read_timeout=0.3, total_timeout=5.0
    )
    started = time.monotonic()
    with pytest.raises(FetchError, match="stopped sending data"):
        fetch_image_bytes(server.url("/stall"), policy=policy)
    assert time.monotonic() - started < 2.0


@pytest.mark.parametrize(
    "content_type, match",
    [
        ("text/html", "Copy image address"),
        ("text/plain", "text/plain"),
        ("application/octet-stream", "application/octet-stream"),
        ("image/svg%2Bxml", "SVG"),
        ("none", "no Content-Type"),
    ],
)
def test_wrong_content_type_is_refused(server, content_type, match):
    with pytest.raises(FetchError, match=match):
        fetch_image_bytes(server.url(f"/typed?type={content_type}"), policy=TEST_POLICY)


def test_image_type_with_a_web_page_body_is_refused_by_the_decoder(server):
    with pytest.raises(ImageError, match="web page"):
        fetch_image(server.url("/typed?type=image/png&body=html"), policy=TEST_POLICY)


def test_compressed_body_is_refused(server):
    with pytest.raises(FetchError, match="gzip"):
        fetch_image_bytes(server.url("/gzip"), policy=TEST_POLICY)


@pytest.mark.parametrize("code", [404, 500])
def test_error_status_is_reported(server, code):
    with pytest.raises(FetchError, match=f"answered {code}"):
        fetch_image_bytes(server.url(f"/status?code={code}"), policy=TEST_POLICY)


def test_closed_port_is_reported():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(FetchError, match="Could not connect"):
        fetch_image_bytes(f"http://127.0.0.1:{port}/cat.png", policy=TEST_POLICY)


@pytest.mark.parametrize(
    "url, match",
    [
        ("file:///etc/passwd", "file: URL"),
        ("ftp://example.com/cat.png", "ftp: URL"),
        ("javascript:alert(1)", "javascript: URL"),
        ("data:image/png;base64,iVBORw0KGgo=", "data: URL"),
        ("example.com/cat.png", "Add https://"),
        ("www.example.com:8080/cat.png", "Add https://"),
        ("http://user:secret@example.com/cat.png", "user name or password"),
        ("http://user@example.com/cat.png", "user name or password"),
        ("http://example.com:99999/cat.png", "port"),
        ("http://example.com:abc/cat.png", "port"),
        ("http://example.com:0/cat.png", "port"),
        ("http:///cat.png", "no host name"),
        ("http://exa mple.com/cat.png", "host name"),
        ("http://" + "a" * 3000 + ".com/", "at most 2048 characters"),
        ("", "empty"),
        ("   ", "empty"),
    ],
)
def test_malformed_or_unsupported_urls_are_refused_without_network(url, match, monkeypatch):
    def no_dns(*args, **kwargs):
        raise AssertionError("no lookup expected")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    monkeypatch.setattr(fetch, "_connect", no_dns)
    with pytest.raises(FetchError, match=match):
        fetch_image_bytes(url)


@pytest.mark.parametrize(
    "host, address",
    [
        ("2130706433", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("10.1", "10.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
    ],
)
def test_legacy_ipv4_spellings_are_checked_as_literals(host, address, monkeypatch, connects):
    def no_dns(*args, **kwargs):
        raise AssertionError("no lookup expected")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    with pytest.raises(FetchError, match=f"{re.escape(address)} is a"):
        fetch_image_bytes(f"http://{host}/cat.png")
    assert connects == []


def test_body_shorter_than_its_content_length_is_refused(server):
    policy = FetchPolicy(
        allowed_networks=(LOCAL,), allowed_ports=None, read_timeout=2.0, total_timeout=30.0
    )
    with pytest.raises(FetchError, match="closed before the whole image arrived"):
        fetch_image_bytes(server.url("/short"), policy=policy)


def test_non_standard_port_is_refused_by_default(monkeypatch, connects):
    _fake_dns(monkeypatch, {"example.com": ["93.184.215.14"]})
    with pytest.raises(FetchError, match="port 22"):
        fetch_image_bytes("http://example.com:22/cat.png")
    assert connects == []


@pytest.mark.parametrize(
    ("url", "match"),
    [
        ("http://slow-dns.test:22/cat.png", "port 22"),
        ("https://slow-dns.test:6379/", "port 6379"),
        ("http://user:secret@slow-dns.test/cat.png", "user name or password"),
        ("ftp://slow-dns.test/cat.png", "ftp: URL"),
    ],
)
def test_a_refused_url_makes_no_dns_lookup(monkeypatch, connects, url, match):
    lookups = []
    _fake_dns(monkeypatch, {"slow-dns.test": ["93.184.215.14"]}, lookups)
    with pytest.raises(FetchError, match=match):
        fetch_image_bytes(url)
    assert lookups == []
    assert connects == []


def test_a_redirect_to_a_refused_port_makes_no_dns_lookup(server, monkeypatch):
    lookups = []
    _fake_dns(monkeypatch, {"slow-dns.test": ["93.184.215.14"]}, lookups)
    policy = FetchPolicy(allowed_networks=("127.0.0.1/32",), allowed_ports=(server.port,))
    with pytest.raises(FetchError, match="port 22"):
        fetch_image_bytes(server.url("/redirect?to=http://slow-dns.test:22/cat.png"), policy=policy)
    assert lookups == []


def test_every_resolved_address_is_checked(monkeypatch, connects):
    _fake_dns(monkeypatch, {"mixed.test": ["93.184.215.14", "10.0.0.7"]})
    with pytest.raises(FetchError, match=r"resolves to 10\.0\.0\.7.*private"):
        fetch_image_bytes("https://mixed.test/cat.png")
    assert connects == []


def test_ipv6_answer_that_is_mapped_loopback_is_refused(monkeypatch, connects):
    _fake_dns(monkeypatch, {"v6.test": ["::ffff:127.0.0.1"]})
    with pytest.raises(FetchError, match="IPv4-mapped"):
        fetch_image_bytes("https://v6.test/cat.png", policy=TEST_POLICY)
    assert connects == []


def test_unknown_host_is_reported(monkeypatch):
    _fake_dns(monkeypatch, {})
    with pytest.raises(FetchError, match="could not be found"):
        fetch_image_bytes("https://no-such-host.test/cat.png")


def test_slow_dns_is_bounded(monkeypatch):
    def slow(*args, **kwargs):
        time.sleep(2)
        raise socket.gaierror(socket.EAI_AGAIN, "timeout")

    monkeypatch.setattr(socket, "getaddrinfo", slow)
    policy = FetchPolicy(connect_timeout=0.2)
    started = time.monotonic()
    with pytest.raises(FetchError, match="took longer"):
        fetch_image_bytes("https://slow-dns.test/cat.png", policy=policy)
    assert time.monotonic() - started < 1.5


def test_non_string_url_is_a_type_error():
    with pytest.raises(TypeError, match="Expected the URL as a string"):
        fetch_image_bytes(b"http://example.com/")
    with pytest.raises(TypeError, match="Expected a FetchPolicy"):
        fetch_image_bytes("http://example.com/", policy={"max_bytes": 1})


def test_every_fetch_error_is_a_convlab_error():
    assert issubclass(FetchError, ConvlabError)


# ----------------------------------------------------------------------------- policy


def test_default_policy_allows_no_extra_networks():
    assert DEFAULT_POLICY.allowed_networks == ()
    assert DEFAULT_POLICY.max_redirects == 3
    assert DEFAULT_POLICY.allowed_ports == (80, 443, 8080, 8443)
    with pytest.raises(FetchError):
        check_address("127.0.0.1")


@pytest.mark.parametrize(
    "changes, match",
    [
        ({"connect_timeout": 0}, "connect_timeout"),
        ({"total_timeout": float("inf")}, "total_timeout"),
        ({"read_timeout": "5"}, "read_timeout"),
        ({"max_bytes": 0}, "max_bytes"),
        ({"max_redirects": -1}, "max_redirects"),
        ({"max_redirects": True}, "max_redirects"),
        ({"allowed_ports": (80, 70000)}, "allowed_ports"),
        ({"allowed_networks": "127.0.0.1/32"}, "tuple"),
        ({"allowed_networks": ("not a network",)}, "allowed_networks"),
        ({"user_agent": "a\r\nX-Injected: 1"}, "user_agent"),
    ],
)
def test_bad_policy_values_are_refused(changes, match):
    with pytest.raises(ValueError, match=match):
        FetchPolicy(**changes)


def test_policy_is_frozen():
    with pytest.raises(AttributeError):
        DEFAULT_POLICY.allowed_networks = (LOCAL,)


# ----------------------------------------------------------------------------- addresses


@pytest.mark.parametrize(
    "address, reason",
    [
        ("127.0.0.1", "loopback"),
        ("127.255.255.254", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "IPv4-mapped IPv6 address for 127.0.0.1, which is a loopback"),
        ("::ffff:10.0.0.1", "IPv4-mapped IPv6 address for 10.0.0.1, which is a private"),
        ("::ffff:8.8.8.8", "IPv4-mapped"),
        ("::127.0.0.1", "IPv4-compatible"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "broadcast"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("fe80::1%eth0", "link-local"),
        ("10.0.0.1", "private"),
        ("172.16.0.1", "private"),
        ("172.31.255.255", "private"),
        ("192.168.1.1", "private"),
        ("fc00::1", "private"),
        ("fd12:3456::1", "private"),
        ("100.64.0.1", "shared address space"),
        ("100.127.255.255", "shared address space"),
        ("192.0.2.1", "documentation"),
        ("2001:db8::1", "documentation"),
        ("198.18.0.1", "benchmarking"),
        ("64:ff9b::a00:1", "embeds 10.0.0.1"),
        ("2002:7f00:1::", "embeds 127.0.0.1"),
        ("2001::1", "not a public internet address"),
    ],
)
def test_address_checker_refuses(address, reason):
    assert reason in address_refusal(address)
    with pytest.raises(FetchError, match="convlab only downloads from public internet"):
        check_address(address)


@pytest.mark.parametrize(
    "address",
    [
        "8.8.8.8",
        "1.1.1.1",
        "93.184.215.14",
        "100.128.0.1",
        "172.32.0.1",
        "2606:4700:4700::1111",
        "2002:808:808::1",
        "64:ff9b::808:808",
    ],
)
def test_address_checker_allows_public_addresses(address):
    assert address_refusal(address) is None
    assert check_address(address) == ip_address(address)


def test_allowed_networks_are_exact():
    policy = FetchPolicy(allowed_networks=(LOCAL,))
    assert check_address("127.0.0.1", policy=policy) == ip_address("127.0.0.1")
    with pytest.raises(FetchError, match="loopback"):
        check_address("127.0.0.2", policy=policy)
    with pytest.raises(FetchError, match="IPv4-mapped"):
        check_address("::ffff:127.0.0.1", policy=policy)


def test_address_checker_rejects_non_addresses():
    with pytest.raises(FetchError, match="Expected an IP address"):
        address_refusal("localhost")
    with pytest.raises(TypeError):
        address_refusal(2130706433)


# ----------------------------------------------------------------------------- https


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed")
    directory = tmp_path_factory.mktemp("tls")
    key, cert = directory / "key.pem", directory / "cert.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=images.test", "-addext", "subjectAltName=DNS:images.test",
         "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return key, cert


@pytest.fixture(scope="module")
def https_server(tls_files):
    key, cert = tls_files
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    names = []
    context.sni_callback = lambda sock, name, ctx: names.append(name)
    server, thread = _start(context)
    running = _Running(server)
    running.sni = names
    yield running
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_https_checks_the_certificate(https_server, monkeypatch):
    _fake_dns(monkeypatch, {"images.test": ["127.0.0.1"]})
    url = https_server.url("/cat.png", host="images.test", scheme="https")
    with pytest.raises(FetchError, match=r"certificate of .images\.test. could not be verified"):
        fetch_image_bytes(url, policy=TEST_POLICY)


def test_https_sends_sni_and_host_to_the_checked_ip(https_server, tls_files, monkeypatch):
    _fake_dns(monkeypatch, {"images.test": ["127.0.0.1"], "other.test": ["127.0.0.1"]})
    real = ssl.create_default_context
    monkeypatch.setattr(ssl, "create_default_context", lambda: real(cafile=str(tls_files[1])))
    https_server.seen.clear()
    url = https_server.url("/cat.png", host="images.test", scheme="https")
    assert fetch_image_bytes(url, policy=TEST_POLICY) == PNG
    assert "images.test" in https_server.sni
    assert https_server.seen[-1]["headers"]["Host"] == f"images.test:{https_server.port}"
    wrong = https_server.url("/cat.png", host="other.test", scheme="https")
    with pytest.raises(FetchError, match="could not be verified"):
        fetch_image_bytes(wrong, policy=TEST_POLICY)
