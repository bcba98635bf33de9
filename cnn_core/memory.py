"""Give freed memory back to the operating system after a big forward pass.

A forward pass at the largest settings allocates and frees a few hundred MB.
glibc keeps freed blocks in its per-thread arenas, so without a trim the
server's resident memory stays at its high-water mark long after.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

__all__ = ["release_free_memory"]


@functools.cache
def _malloc_trim():
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        return ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None


def release_free_memory():
    """Ask the C allocator to return free memory to the OS (glibc only).

    Returns
    -------
    bool
        True if memory was released, False if nothing could be released or
        the C library has no ``malloc_trim`` (musl, macOS, Windows).
    """
    trim = _malloc_trim()
    return bool(trim(0)) if trim is not None else False
