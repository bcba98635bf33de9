"""Keep the server's memory near what it uses.

A forward pass at the largest settings allocates and frees a few hundred MB.
glibc keeps freed blocks in its per-thread arenas, so without a trim the
server's resident memory stays at its high-water mark long after
(:func:`release_free_memory`). And by default glibc gives each thread that
meets a busy arena a new one, up to eight per core: Streamlit runs every
script run in a new thread, so a server that has been busy holds a dozen
arenas, each with its own free space that a trim cannot fully give back
(:func:`limit_malloc_arenas`).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

__all__ = ["limit_malloc_arenas", "release_free_memory"]

#: ``M_ARENA_MAX`` in glibc's ``malloc.h``.
_M_ARENA_MAX = -8


@functools.cache
def _libc():
    library = ctypes.util.find_library("c")  # runs ldconfig: once per process
    if library is None:
        return None
    try:
        return ctypes.CDLL(library)
    except OSError:
        return None


def _libc_function(name):
    return getattr(_libc(), name, None)


def limit_malloc_arenas(count=2):
    """Let the C allocator use at most ``count`` arenas from now on (glibc only).

    The same as starting the process with ``MALLOC_ARENA_MAX=count``, which
    web servers running many Python threads are commonly given; call it
    early, before the threads it should cover start allocating. Arenas that
    already exist stay. On two cores, two arenas leave each busy thread one
    to allocate from, and the server's memory after a sweep of large
    settings stays about 100 MB lower (README, "Performance").

    Parameters
    ----------
    count : int
        The most arenas, at least 1.

    Returns
    -------
    bool
        True if the allocator took the setting, False where there is no
        ``mallopt`` (musl, macOS, Windows).
    """
    if count < 1:
        raise ValueError(count)  # a programming error, never shown to a student
    mallopt = _libc_function("mallopt")
    if mallopt is None:
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return bool(mallopt(_M_ARENA_MAX, count))


def release_free_memory():
    """Ask the C allocator to return free memory to the OS (glibc only).

    Returns
    -------
    bool
        True if memory was released, False if nothing could be released or
        the C library has no ``malloc_trim`` (musl, macOS, Windows).
    """
    trim = _libc_function("malloc_trim")
    return bool(trim(0)) if trim is not None else False
