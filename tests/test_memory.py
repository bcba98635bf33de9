import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cnn_core.memory import limit_malloc_arenas, release_free_memory

CHURN = textwrap.dedent(
    """
    import threading

    import numpy as np
    import psutil

    from cnn_core.memory import release_free_memory

    def churn():
        # Many 64 kB blocks, freed out of order, in a worker thread's arena:
        # what a Streamlit script thread leaves behind after a big rerun.
        blocks = [np.ones(16_000, np.float32) + i for i in range(4000)]
        blocks = blocks[::2]
        del blocks

    worker = threading.Thread(target=churn)
    worker.start()
    worker.join()
    process = psutil.Process()
    before = process.memory_info().rss
    released = release_free_memory()
    after = process.memory_info().rss
    print(released, before - after)
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_trim_returns_freed_arena_memory_to_the_os():
    pytest.importorskip("psutil")
    # A fresh process, so the arenas hold only what the churn left.
    result = subprocess.run(
        [sys.executable, "-c", CHURN],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        cwd=Path(__file__).resolve().parent.parent,
    )
    released, freed = result.stdout.split()
    assert released == "True"
    assert int(freed) > 50_000_000


def test_release_reports_a_bool():
    assert isinstance(release_free_memory(), bool)


ARENAS = textwrap.dedent(
    """
    import ctypes, ctypes.util, os, sys, tempfile, threading

    from cnn_core.memory import limit_malloc_arenas

    if sys.argv[1] == "limit":
        assert limit_malloc_arenas(2)
    barrier = threading.Barrier(6)

    def work():
        blocks = [bytearray(200_000) for _ in range(20)]  # from the thread's arena
        barrier.wait()
        del blocks

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    libc.fopen.restype = ctypes.c_void_p
    libc.fopen.argtypes = (ctypes.c_char_p, ctypes.c_char_p)
    libc.malloc_info.argtypes = (ctypes.c_int, ctypes.c_void_p)
    libc.fclose.argtypes = (ctypes.c_void_p,)
    path = os.path.join(tempfile.mkdtemp(), "info.xml")
    stream = libc.fopen(path.encode(), b"w")
    libc.malloc_info(0, stream)
    libc.fclose(stream)
    print(open(path).read().count("<heap nr="))
    """
)


def _arenas(mode):
    result = subprocess.run(
        [sys.executable, "-c", ARENAS, mode],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        cwd=Path(__file__).resolve().parent.parent,
        env={k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"},
    )
    return int(result.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_arena_limit_caps_the_arenas_threads_get():
    # Without the limit every new thread gets an arena of its own (up to 8
    # per core); with it, six busy threads share the two.
    assert _arenas("free") > 2
    assert _arenas("limit") == 2


def test_arena_limit_refuses_zero():
    with pytest.raises(ValueError):
        limit_malloc_arenas(0)
