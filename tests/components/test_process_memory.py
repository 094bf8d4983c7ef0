"""The benchmarks' process-tree memory sampler counts child processes."""

import subprocess
import sys
import time

from benchmarks import process_memory

_HOLD_200_MB = "import time; b = b\"x\" * (200 * 1024 * 1024); time.sleep(3)"


def test_a_childs_memory_counts_in_the_tree_and_in_the_peak():
    alone = process_memory.tree_rss_bytes()
    with process_memory.PeakTreeMemory(interval_seconds=0.1) as peak:
        child = subprocess.Popen([sys.executable, "-c", _HOLD_200_MB])
        time.sleep(1.5)
        with_child = process_memory.tree_rss_bytes()
        child.wait()
    assert with_child - alone > 150 * 1024 * 1024
    assert peak.peak_bytes >= with_child - 50 * 1024 * 1024
    assert peak.samples >= 5
