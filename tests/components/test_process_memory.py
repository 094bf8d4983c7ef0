"""The benchmarks' process-tree memory sampler counts child processes."""

import os
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


def test_each_process_of_the_tree_is_measured_apart():
    child = subprocess.Popen([sys.executable, "-c", _HOLD_200_MB])
    time.sleep(1.5)
    sizes = process_memory.process_rss_bytes()
    child.wait()
    assert set(sizes) >= {os.getpid(), child.pid}
    assert sizes[child.pid] > 150 * 1024 * 1024
    assert sum(sizes.values()) > sizes[child.pid]


def test_the_peak_between_two_times_is_that_of_the_samples_taken_then():
    with process_memory.PeakTreeMemory(interval_seconds=0.1) as peak:
        time.sleep(0.5)
        before_child = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-c", _HOLD_200_MB])
        child.wait()
        after_child = time.perf_counter()
        time.sleep(0.5)
    first_sample = peak.timeline[0][0]
    while_alone = peak.peak_between(first_sample, before_child)
    while_child = peak.peak_between(before_child, after_child)
    assert while_child - while_alone > 150 * 1024 * 1024
    assert while_child == peak.peak_bytes
    assert [at for at, _ in peak.timeline] == sorted(at for at, _ in peak.timeline)
    assert peak.peak_between(after_child + 60, after_child + 120) == 0
    assert peak.largest_process_between(before_child, after_child) > 150 * 1024 * 1024


def test_the_largest_process_is_taken_in_each_sample_apart_from_the_tree(monkeypatch):
    samples = iter([{1: 100, 2: 300}, {1: 500, 2: 50}, {1: 200}])
    monkeypatch.setattr(process_memory, "process_rss_bytes", lambda: next(samples, {1: 200}))
    with process_memory.PeakTreeMemory(interval_seconds=0.05) as peak:
        time.sleep(0.3)
    assert [rss for _, rss in peak.timeline[:3]] == [400, 550, 200]
    assert [rss for _, rss in peak.largest_process_timeline[:3]] == [300, 500, 200]
    assert peak.peak_bytes == 550 and peak.largest_process_bytes == 500
    second, third = peak.largest_process_timeline[1][0], peak.largest_process_timeline[2][0]
    assert peak.largest_process_between(third, third + 60) == 200
    assert peak.largest_process_between(second, second) == 500
