import sys
import threading

import numpy as np
import pytest

from cnn_core.memory import release_free_memory


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_trim_returns_freed_arena_memory_to_the_os():
    psutil = pytest.importorskip("psutil")
    process = psutil.Process()

    def churn():
        # Many 64 kB blocks, freed out of order, in a worker thread's arena:
        # what a Streamlit script thread leaves behind after a big rerun.
        blocks = [np.ones(16_000, np.float32) + i for i in range(4000)]
        blocks = blocks[::2]
        del blocks

    worker = threading.Thread(target=churn)
    worker.start()
    worker.join()
    before = process.memory_info().rss
    assert release_free_memory() is True
    after = process.memory_info().rss
    assert before - after > 50_000_000
