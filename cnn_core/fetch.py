"""Fetch an image from a URL without letting the URL reach inside the server's network.

A URL typed by a student makes the *server* open a connection, so it is
treated like any other untrusted input (server-side request forgery):

* only ``http`` and ``https``, no user name or password in the URL, and only
  the ports in :attr:`FetchPolicy.allowed_ports`;
* the host name is resolved once, and *every* address it resolves to is
  checked by :func:`check_address`: loopback, private, shared (CGNAT),
  link-local (including the cloud metadata address 169.254.169.254),
  multicast, reserved, unspecified, documentation and IPv4-mapped IPv6
  addresses are refused;
* the connection goes to the checked address itself, never to the name again
  (no DNS rebinding), with the proper ``Host`` header and, for https, SNI and
  certificate checks against the name;
* redirects are followed by hand, at most :attr:`FetchPolicy.max_redirects`,
  each hop checked the same way before anything connects to it;
* connect and read timeouts, plus an overall deadline enforced by a watchdog,
  so a server that dribbles bytes cannot hold a worker;
* the body is capped while it streams (and a too-large ``Content-Length`` is
  refused up front), must be declared ``image/*``, and is decoded by the same
  safe path as uploads (:func:`cnn_core.decode.decode_upload`).

Only the standard library is used; environment proxy settings are ignored.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import math
import re
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import quote, urljoin, urlsplit

from cnn_core.decode import MAX_FILE_BYTES, decode_upload
from cnn_core.errors import CallError, FetchError, SpecError
from cnn_core.i18n import Message

__all__ = [
    "DEFAULT_POLICY",
    "FetchPolicy",
    "address_refusal",
    "check_address",
    "fetch_image",
    "fetch_image_bytes",
]

_REDIRECTS = (301, 302, 303, 307, 308)
_MAX_URL_LENGTH = 2048
_CHUNK = 64 * 1024
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")
_HOST_PATTERN = re.compile(r"^[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?$")
_UPLOAD_INSTEAD = Message.of("errors.fetch.upload_instead")


@dataclass(frozen=True)
class FetchPolicy:
    """Limits of one fetch. The app only ever uses :data:`DEFAULT_POLICY`.

    Parameters
    ----------
    connect_timeout : float
        Seconds allowed to resolve the name and to open each connection.
    read_timeout : float
        Seconds the server may stay silent while sending headers or body.
    total_timeout : float
        Overall deadline in seconds for the whole fetch, redirects included.
    max_bytes : int
        Largest body accepted; the download stops as soon as it is exceeded.
    max_redirects : int
        Redirects followed before giving up.
    allowed_ports : tuple of int or None
        Ports a URL may name; ``None`` allows any port.
    allowed_networks : tuple of ip_network
        Networks allowed *even though* :func:`check_address` would refuse
        them. Empty in :data:`DEFAULT_POLICY`; tests use 127.0.0.1/32 to reach
        their own server. Strings are converted with ``ipaddress.ip_network``.
    user_agent : str
        Value of the ``User-Agent`` header.

    Examples
    --------
    >>> from ipaddress import ip_network
    >>> policy = FetchPolicy(allowed_networks=("127.0.0.1/32",), allowed_ports=None)
    >>> policy.allowed_networks == (ip_network("127.0.0.1/32"),)
    True
    """

    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    total_timeout: float = 20.0
    max_bytes: int = MAX_FILE_BYTES
    max_redirects: int = 3
    allowed_ports: tuple | None = (80, 443, 8080, 8443)
    allowed_networks: tuple = ()
    user_agent: str = "convlab-image-fetch/1.0"

    def __post_init__(self):
        for name in ("connect_timeout", "read_timeout", "total_timeout"):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not math.isfinite(value)
                or value <= 0
            ):
                raise SpecError("errors.policy.seconds", name=name, value=value)
        for name, low in (("max_bytes", 1), ("max_redirects", 0)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise SpecError("errors.policy.integer", name=name, low=low, value=value)
        if self.allowed_ports is not None:
            ports = tuple(self.allowed_ports)
            if not all(
                isinstance(port, int) and not isinstance(port, bool) and 0 < port < 65536
                for port in ports
            ):
                raise SpecError("errors.policy.ports", value=repr(self.allowed_ports))
            object.__setattr__(self, "allowed_ports", ports)
        if isinstance(self.allowed_networks, (str, ipaddress.IPv4Network, ipaddress.IPv6Network)):
            raise SpecError(
                "errors.policy.networks_tuple", kind=type(self.allowed_networks).__name__
            )
        try:
            networks = tuple(ipaddress.ip_network(net) for net in self.allowed_networks)
        except (TypeError, ValueError) as exc:
            raise SpecError(
                "errors.policy.networks", value=repr(self.allowed_networks), detail=str(exc)
            ) from None
        object.__setattr__(self, "allowed_networks", networks)
        if not isinstance(self.user_agent, str) or not self.user_agent.isprintable():
            raise SpecError("errors.policy.user_agent", value=self.user_agent)


#: The only policy the app uses: public addresses, ports 80/443/8080/8443.
DEFAULT_POLICY = FetchPolicy()


# --------------------------------------------------------------------------- addresses

_V4_BLOCKS = tuple(
    (ipaddress.ip_network(net), Message.of(f"errors.fetch.reason.{reason}"))
    for net, reason in (
        ("0.0.0.0/8", "this_network"),
        ("127.0.0.0/8", "loopback"),
        ("10.0.0.0/8", "private"),
        ("172.16.0.0/12", "private"),
        ("192.168.0.0/16", "private"),
        ("100.64.0.0/10", "shared"),
        ("169.254.0.0/16", "link_local_cloud"),
        ("192.0.0.0/24", "ietf"),
        ("192.0.2.0/24", "documentation"),
        ("198.51.100.0/24", "documentation"),
        ("203.0.113.0/24", "documentation"),
        ("198.18.0.0/15", "benchmarking"),
        ("224.0.0.0/4", "multicast"),
        ("255.255.255.255/32", "broadcast"),
        ("240.0.0.0/4", "reserved"),
    )
)
_V6_BLOCKS = tuple(
    (ipaddress.ip_network(net), Message.of(f"errors.fetch.reason.{reason}"))
    for net, reason in (
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        ("::/96", "ipv4_compatible"),
        ("100::/64", "discard"),
        ("2001:db8::/32", "documentation"),
        ("fe80::/10", "link_local"),
        ("fec0::/10", "site_local"),
        ("fc00::/7", "unique_local"),
        ("ff00::/8", "multicast"),
    )
)
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_SIX_TO_FOUR = ipaddress.ip_network("2002::/16")


def _as_ip(address):
    if isinstance(address, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
        return address
    if not isinstance(address, str):
        raise CallError("errors.call.address", kind=type(address).__name__)
    try:
        return ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        raise FetchError("errors.fetch.not_an_address", value=address) from None


def address_refusal(address, lang="en"):
    """Why ``address`` may not be fetched from, or None if it is a public address.

    Parameters
    ----------
    address : str or IPv4Address or IPv6Address
        A literal IP address; an IPv6 zone (``%eth0``) is ignored.

    lang : str, optional
        The language of the phrase.

    Returns
    -------
    str or None
        A short phrase such as ``"a private network address"``, or None.

    Examples
    --------
    >>> address_refusal("10.1.2.3")
    'a private network address'
    >>> address_refusal("::ffff:127.0.0.1")
    'an IPv4-mapped IPv6 address for 127.0.0.1, which is a loopback address (the server itself)'
    >>> address_refusal("93.184.215.14") is None
    True
    """
    reason = _refusal(_as_ip(address))
    return None if reason is None else reason.render(lang)


def _refusal(ip):
    """:func:`address_refusal` as a :class:`~cnn_core.i18n.Message`."""
    not_public = Message.of("errors.fetch.reason.not_public")
    if ip.version == 4:
        for network, reason in _V4_BLOCKS:
            if ip in network:
                return reason
        return None if ip.is_global else not_public
    mapped = ip.ipv4_mapped
    if mapped is not None:
        inner = _refusal(mapped) or Message.of("errors.fetch.reason.mapped_anyway")
        return Message.of("errors.fetch.reason.mapped", address=str(mapped), reason=inner)
    for network, reason in _V6_BLOCKS:
        if ip in network:
            return reason
    embedded = None
    if any(ip in network for network in _NAT64):
        embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    elif ip in _SIX_TO_FOUR:
        embedded = ip.sixtofour
    if embedded is not None:
        inner = _refusal(embedded)
        if inner:
            return Message.of("errors.fetch.reason.embeds", address=str(embedded), reason=inner)
        return None
    return None if ip.is_global else not_public


def check_address(address, *, policy=DEFAULT_POLICY):
    """Refuse an address the fetcher must not connect to.

    Parameters
    ----------
    address : str or IPv4Address or IPv6Address
        A literal IP address.
    policy : FetchPolicy, optional
        Its ``allowed_networks`` are let through even if refused otherwise.

    Returns
    -------
    IPv4Address or IPv6Address
        The parsed address, when it is allowed.

    Raises
    ------
    FetchError
        If the address is loopback, private, link-local, multicast, reserved,
        unspecified, IPv4-mapped IPv6, ... and not in ``policy.allowed_networks``.

    Examples
    --------
    >>> check_address("8.8.8.8")
    IPv4Address('8.8.8.8')
    """
    if not isinstance(policy, FetchPolicy):
        raise CallError("errors.call.policy", kind=type(policy).__name__)
    ip = _as_ip(address)
    if any(ip in network for network in policy.allowed_networks):
        return ip
    reason = _refusal(ip)
    if reason:
        raise FetchError(
            "errors.fetch.refused_address", address=str(ip), reason=reason, advice=_UPLOAD_INSTEAD
        )
    return ip


# --------------------------------------------------------------------------- URLs


@dataclass(frozen=True)
class _Target:
    url: str
    scheme: str
    host: str  # ASCII (IDNA) name or IP literal, no brackets
    port: int
    path: str
    literal: object  # IPv4Address / IPv6Address when the host is an IP literal

    @property
    def host_header(self):
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


def _parse_url(url):
    """Check a URL's form (no network) and split it into a :class:`_Target`."""
    shown = url if len(url) <= 120 else url[:117] + "..."
    if len(url) > _MAX_URL_LENGTH:
        raise FetchError("errors.fetch.url_too_long", limit=_MAX_URL_LENGTH, length=len(url))
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise FetchError("errors.fetch.invalid_url", detail=str(exc), url=shown) from None
    scheme = parts.scheme.lower()
    if not scheme or (scheme not in ("http", "https") and "://" not in url and "." in scheme):
        raise FetchError("errors.fetch.no_scheme", url=shown)
    if scheme not in ("http", "https"):
        raise FetchError("errors.fetch.scheme", scheme=scheme, url=shown)
    if parts.username is not None or parts.password is not None:
        raise FetchError("errors.fetch.credentials", advice=_UPLOAD_INSTEAD)
    try:
        port = parts.port
    except ValueError:
        raise FetchError("errors.fetch.port_not_number", url=shown) from None
    if port == 0:
        raise FetchError("errors.fetch.port_zero", url=shown)
    port = port or (443 if scheme == "https" else 80)
    host = parts.hostname
    if not host:
        raise FetchError("errors.fetch.no_host", url=shown)
    try:
        literal = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        literal = None
    if literal is None and _NUMERIC_LABEL.match(host.rstrip(".").rsplit(".", 1)[-1]):
        # Legacy IPv4 spellings the C resolver accepts (2130706433, 0x7f.1, 10.1):
        # parse them here like the resolver would, so they are checked as literals.
        try:
            literal = ipaddress.IPv4Address(socket.inet_aton(host.rstrip(".")))
        except OSError:
            raise FetchError("errors.fetch.bad_host", url=shown) from None
    if literal is not None:
        host = str(literal)
    else:
        try:
            host = host.encode("idna").decode("ascii").lower()
        except UnicodeError:
            host = ""
        if not _HOST_PATTERN.match(host):
            raise FetchError("errors.fetch.bad_host", url=shown)
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
    if parts.query:
        path += "?" + quote(parts.query, safe="/%:@!$&'()*+,;=-._~?")
    return _Target(url, scheme, host, port, path, literal)


# --------------------------------------------------------------------------- network


def _remaining(deadline, policy, what):
    left = deadline - time.monotonic()
    if left <= 0:
        raise FetchError(
            "errors.fetch.total_timeout",
            seconds=policy.total_timeout,
            stage=Message.of(f"errors.fetch.stage.{what}"),
            advice=_UPLOAD_INSTEAD,
        )
    return left


def _resolve(target, policy, deadline):
    """Resolve and check every address; return [(family, sockaddr), ...]."""
    if target.literal is not None:
        check_address(target.literal, policy=policy)
        if target.literal.version == 4:
            return [(socket.AF_INET, (target.host, target.port))]
        return [(socket.AF_INET6, (target.host, target.port, 0, 0))]

    outcome = {}

    def lookup():
        try:
            outcome["infos"] = socket.getaddrinfo(
                target.host, target.port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
            )
        except Exception as exc:  # reported to the caller below
            outcome["error"] = exc

    timeout = min(policy.connect_timeout, _remaining(deadline, policy, "lookup"))
    worker = threading.Thread(target=lookup, name="convlab-dns", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise FetchError("errors.fetch.lookup_timeout", host=target.host, seconds=timeout)
    if "error" in outcome or not outcome.get("infos"):
        raise FetchError("errors.fetch.host_not_found", host=target.host)
    addresses = []
    for family, _type, _proto, _name, sockaddr in outcome["infos"]:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        try:
            check_address(sockaddr[0], policy=policy)
        except FetchError as exc:
            raise FetchError(
                "errors.fetch.resolves_to",
                host=target.host,
                address=sockaddr[0],
                reason=exc.message,
            ) from None
        if (family, sockaddr) not in addresses:
            addresses.append((family, sockaddr))
    if not addresses:
        raise FetchError("errors.fetch.no_address", host=target.host)
    return addresses


def _connect(family, sockaddr, timeout):
    """Open a TCP connection to an already checked address (no name lookup)."""
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect(sockaddr)
    except BaseException:
        sock.close()
        raise
    return sock


class _Watchdog:
    """Shut a connection down at the deadline, so no blocking read outlives it.

    It keeps its own duplicate of the socket's descriptor, so the connection it
    shuts down is always this one, even if the owner closed its socket first.
    """

    def __init__(self, sock, seconds):
        self._twin = sock.dup()
        self._lock = threading.Lock()
        self._active = True
        self.fired = False
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def _fire(self):
        with self._lock:
            if not self._active:
                return
            self.fired = True
            with contextlib.suppress(OSError):
                self._twin.shutdown(socket.SHUT_RDWR)

    def __enter__(self):
        self._timer.start()
        return self

    def __exit__(self, *exc_info):
        self._timer.cancel()
        with self._lock:
            self._active = False
            self._twin.close()
        return False


def _open(target, addresses, policy, deadline):
    """Open a TCP connection to the first reachable checked address."""
    last = None
    for family, sockaddr in addresses:
        timeout = min(policy.connect_timeout, _remaining(deadline, policy, "connecting"))
        try:
            return _connect(family, sockaddr, timeout)
        except TimeoutError:
            last = Message.of("errors.fetch.no_answer", seconds=timeout)
        except OSError as exc:
            last = exc.strerror or str(exc)
    raise FetchError("errors.fetch.connect", host=target.host, port=target.port, detail=last)


def _secure(sock, target):
    """TLS on top of ``sock``, checking the certificate against the host name."""
    context = ssl.create_default_context()
    try:
        return context.wrap_socket(sock, server_hostname=target.host)
    except ssl.SSLCertVerificationError as exc:
        raise FetchError(
            "errors.fetch.certificate",
            host=target.host,
            detail=str(exc.verify_message),
            advice=_UPLOAD_INSTEAD,
        ) from None
    except ssl.SSLError as exc:
        raise FetchError(
            "errors.fetch.tls",
            host=target.host,
            detail=str(exc.reason or exc),
            advice=_UPLOAD_INSTEAD,
        ) from None


def _check_headers(target, response, policy):
    encoding = (response.getheader("Content-Encoding") or "identity").strip().lower()
    if encoding != "identity":
        raise FetchError("errors.fetch.encoding", encoding=encoding, advice=_UPLOAD_INSTEAD)
    raw_type = response.getheader("Content-Type")
    if not raw_type:
        raise FetchError("errors.fetch.no_content_type", advice=_UPLOAD_INSTEAD)
    content_type = raw_type.split(";", 1)[0].strip().lower()
    if content_type == "image/svg+xml":
        raise FetchError("errors.fetch.svg")
    if not content_type.startswith("image/"):
        page = content_type in ("text/html", "application/xhtml+xml")
        raise FetchError(
            "errors.fetch.web_page" if page else "errors.fetch.not_image",
            content_type=content_type,
            host=target.host,
        )
    length = response.length
    if length is not None and length > policy.max_bytes:
        raise FetchError("errors.fetch.too_large", length=length, limit=policy.max_bytes)


def _read_body(response, sock, policy, deadline):
    declared = response.length
    chunks, total = [], 0
    while True:
        left = _remaining(deadline, policy, "receiving")
        sock.settimeout(min(policy.read_timeout, left))
        chunk = response.read1(_CHUNK)
        if not chunk:
            if declared is not None and total < declared:
                # http.client's read1 reports a short body as a quiet end of data.
                raise http.client.IncompleteRead(b"", declared - total)
            return b"".join(chunks)
        total += len(chunk)
        if total > policy.max_bytes:
            raise FetchError("errors.fetch.stopped_large", limit=policy.max_bytes, total=total)
        chunks.append(chunk)


def _exchange(target, sock, policy, deadline):
    """Send the GET on a connected socket; return ("redirect", location) or ("body", bytes)."""
    sock.settimeout(min(policy.read_timeout, _remaining(deadline, policy, "waiting")))
    connection = http.client.HTTPConnection(target.host, target.port)
    connection.sock = sock
    response = None
    try:
        connection.putrequest("GET", target.path, skip_host=True, skip_accept_encoding=True)
        connection.putheader("Host", target.host_header)
        connection.putheader("User-Agent", policy.user_agent)
        connection.putheader("Accept", "image/*")
        connection.putheader("Accept-Encoding", "identity")
        connection.putheader("Connection", "close")
        connection.endheaders()
        response = connection.getresponse()
        if response.status in _REDIRECTS:
            location = response.getheader("Location")
            if not location:
                raise FetchError("errors.fetch.redirect_nowhere", status=response.status)
            return "redirect", location.strip()
        if response.status != 200:
            raise FetchError(
                "errors.fetch.status", status=response.status, reason=str(response.reason)
            )
        _check_headers(target, response, policy)
        return "body", _read_body(response, sock, policy, deadline)
    finally:
        # Close the response and the socket now, not whenever they are collected.
        if response is not None:
            response.close()
        connection.close()


def _request(target, addresses, policy, deadline):
    """One GET to checked addresses, under the overall deadline."""
    raw = _open(target, addresses, policy, deadline)
    sock = raw
    try:
        with _Watchdog(raw, _remaining(deadline, policy, "connecting")) as watchdog:
            try:
                if target.scheme == "https":
                    sock = _secure(raw, target)
                outcome = _exchange(target, sock, policy, deadline)
                if watchdog.fired:
                    _remaining(deadline, policy, "receiving")
                return outcome
            except FetchError:
                if watchdog.fired:
                    _remaining(deadline, policy, "receiving")
                raise
            except (OSError, http.client.HTTPException, ValueError) as exc:
                if watchdog.fired or time.monotonic() >= deadline:
                    _remaining(deadline, policy, "receiving")
                if isinstance(exc, TimeoutError):
                    raise FetchError(
                        "errors.fetch.read_timeout", host=target.host, seconds=policy.read_timeout
                    ) from None
                if isinstance(exc, http.client.IncompleteRead):
                    detail = Message.of("errors.fetch.incomplete")
                else:
                    detail = str(exc) or type(exc).__name__
                raise FetchError("errors.fetch.failed", host=target.host, detail=detail) from None
    finally:
        sock.close()
        raw.close()


def fetch_image_bytes(url, *, policy=DEFAULT_POLICY):
    """Download an image file's bytes from a public http(s) URL, safely.

    Parameters
    ----------
    url : str
        The address a student pasted; surrounding spaces are ignored.
    policy : FetchPolicy, optional
        Limits; the app always uses :data:`DEFAULT_POLICY`.

    Returns
    -------
    bytes
        The body, at most ``policy.max_bytes`` long, declared ``image/*``.

    Raises
    ------
    TypeError
        If ``url`` is not a string or ``policy`` not a FetchPolicy.
    FetchError
        If the URL is refused (scheme, credentials, port, an address that is
        not public, too many redirects) or the download fails (status,
        content type, size, timeouts, network errors); the message says which.

    Examples
    --------
    >>> fetch_image_bytes("file:///etc/passwd")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    cnn_core.errors.FetchError: Expected a URL starting with https:// or http://. ...
    """
    if not isinstance(url, str):
        raise CallError("errors.call.url", kind=type(url).__name__)
    if not isinstance(policy, FetchPolicy):
        raise CallError("errors.call.policy", kind=type(policy).__name__)
    url = url.strip()
    if not url:
        raise FetchError("errors.fetch.empty")
    deadline = time.monotonic() + policy.total_timeout
    visited = []
    current = url
    while True:
        # Scheme, credentials and port are refused before any DNS lookup:
        # a refused URL must not make the server look up whatever host it names.
        target = _parse_url(current)
        if policy.allowed_ports is not None and target.port not in policy.allowed_ports:
            allowed = ", ".join(str(port) for port in policy.allowed_ports)
            raise FetchError(
                "errors.fetch.port", allowed=allowed, port=target.port, advice=_UPLOAD_INSTEAD
            )
        addresses = _resolve(target, policy, deadline)
        visited.append(current)
        kind, value = _request(target, addresses, policy, deadline)
        if kind == "body":
            return value
        following = urljoin(current, value)
        if following in visited:
            raise FetchError("errors.fetch.loop", url=following[:120])
        if len(visited) > policy.max_redirects:
            raise FetchError(
                "errors.fetch.redirects", limit=policy.max_redirects, advice=_UPLOAD_INSTEAD
            )
        current = following


def fetch_image(url, *, policy=DEFAULT_POLICY):
    """Download an image from a URL and decode it like an upload.

    Parameters
    ----------
    url : str
        A public http(s) image address.
    policy : FetchPolicy, optional
        Limits; the app always uses :data:`DEFAULT_POLICY`.

    Returns
    -------
    DecodedImage
        As :func:`cnn_core.decode.decode_upload` returns it.

    Raises
    ------
    FetchError
        If the URL is refused or the download fails.
    ImageError
        If the downloaded bytes are refused by the decoder.
    """
    return decode_upload(fetch_image_bytes(url, policy=policy))
