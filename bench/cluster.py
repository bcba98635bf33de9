"""Replicas of the app behind the repo's nginx config, on this machine.

Starts N ``streamlit run`` replicas with the command of ``deploy/Dockerfile``
(on loopback ports) and Debian's nginx with ``deploy/nginx/convlab.conf``,
its upstream lines pointed at them, as the current user, with its files in a
temporary prefix. ``tests/e2e/test_replicas.py`` uses the same two builders.

Run it to measure a class on replicas: it prints nginx's address and its own
pid (the replicas and nginx are its children, so ``classroom_load.py``
counts their CPU and memory together), and serves until interrupted.

    .venv/bin/python bench/cluster.py --replicas 2 --port 8090 &
    .venv/bin/python bench/classroom_load.py --url http://127.0.0.1:8090/ --server-pid <pid>

nginx gives each browser without a route cookie a new random route per
request, so each simulated student's websocket (its session) lands on a
random replica and stays there.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
UPSTREAM_LINE = re.compile(r"^(\s*server\s+)[\w.-]+:\d+(.*)$", re.MULTILINE)


def replica_command(port, python=sys.executable):
    """The Dockerfile's CMD, on a loopback port, with this venv's Python."""
    [cmd] = re.findall(r"^CMD\s+(\[.*\])\s*$", (DEPLOY / "Dockerfile").read_text(), re.MULTILINE)
    argv = json.loads(cmd)
    if argv[:3] != ["streamlit", "run", "app.py"]:
        raise ValueError(f"the Dockerfile's CMD does not run app.py: {argv}")
    overrides = {"--server.address": "127.0.0.1", "--server.port": str(port)}
    args = []
    for arg in argv[1:]:
        name = arg.split("=", 1)[0]
        args.append(f"{name}={overrides.pop(name)}" if name in overrides else arg)
    if overrides:
        raise ValueError(f"the Dockerfile's CMD lacks {sorted(overrides)}")
    return [python, "-m", "streamlit", *args]


def nginx_config(prefix, listen_port, replica_ports):
    """The repo's nginx config pointed at the replicas, in a minimal main config.

    Returns the main config's path (in ``prefix``, with the access log).
    """
    prefix = Path(prefix)
    site = (DEPLOY / "nginx" / "convlab.conf").read_text()
    upstreams = UPSTREAM_LINE.findall(site)
    if len(upstreams) < len(replica_ports):
        raise ValueError(f"the config names {len(upstreams)} upstreams, fewer than the replicas")
    ports = iter(replica_ports)

    def point(match):
        port = next(ports, None)
        return "" if port is None else f"{match.group(1)}127.0.0.1:{port}{match.group(2)}"

    site = UPSTREAM_LINE.sub(point, site)
    site, listens = re.subn(
        r"^(\s*)listen\s+80;", rf"\1listen 127.0.0.1:{listen_port};", site, flags=re.MULTILINE
    )
    site, logs = re.subn(r"access_log\s+\S+\s+(\w+);", rf"access_log {prefix}/access.log \1;", site)
    if listens != 1 or logs != 1:
        raise ValueError("the config's listen and access_log lines are not where expected")
    (prefix / "convlab.conf").write_text(site)
    temp = "\n".join(
        f"    {kind}_temp_path {prefix}/{kind}_temp;"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    # As root, nginx's workers would switch to "nobody": keep them as this user.
    user = f"user {getpass.getuser()};\n" if os.geteuid() == 0 else ""
    (prefix / "nginx.conf").write_text(
        f"daemon off;\n{user}worker_processes 1;\npid {prefix}/nginx.pid;\n"
        f"events {{ worker_connections 1024; }}\n"
        f"http {{\n{temp}\n    include {prefix}/convlab.conf;\n}}\n"
    )
    return prefix / "nginx.conf"


def healthy(url, process, timeout=120):
    """Wait until ``url``'s health endpoint says ok; False if ``process`` exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read() == b"ok":
                    return True
        except OSError:
            pass
        time.sleep(0.3)
    return False


def _free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop(process):
    """Terminate ``process`` (kill it after 10 s) and reap it."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--replicas", type=int, default=2, help="replicas (2)")
    parser.add_argument("--port", type=int, default=8090, help="nginx's port (8090)")
    args = parser.parse_args(argv)
    if not Path(NGINX).exists():
        print(f"nginx not found at {NGINX}: apt-get install nginx", file=sys.stderr)
        return 2
    prefix = Path(tempfile.mkdtemp(prefix="convlab-cluster-"))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with ExitStack() as stack:
        replicas = []
        for n in range(1, args.replicas + 1):
            port = _free_port()
            log = stack.enter_context(open(prefix / f"replica-{n}.log", "w"))
            process = subprocess.Popen(
                replica_command(port), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
            )
            stack.callback(stop, process)
            replicas.append((port, process))
        config = nginx_config(prefix, args.port, [port for port, _ in replicas])
        nginx = subprocess.Popen(
            [NGINX, "-p", str(prefix), "-c", str(config), "-e", str(prefix / "error.log")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        stack.callback(stop, nginx)
        for port, process in replicas:
            if not healthy(f"http://127.0.0.1:{port}", process):
                print(f"replica on port {port} did not start; logs in {prefix}", file=sys.stderr)
                return 1
        url = f"http://127.0.0.1:{args.port}"
        if not healthy(url, nginx):
            print(f"nginx did not start; see {prefix}/error.log", file=sys.stderr)
            return 1
        print(
            f"{args.replicas} replicas behind nginx at {url}/ (pid {os.getpid()}; logs in {prefix})"
        )
        sys.stdout.flush()
        try:
            while all(p.poll() is None for _, p in replicas) and nginx.poll() is None:
                time.sleep(1)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
