"""Peak resident memory of a process and all its descendants, sampled from a background thread.

Sampling the tree (not just ru_maxrss) matters because Spruce's server and Milvus Lite's engine run as child
processes: their memory is the system's memory. The sum is taken at each sample, so it is a true simultaneous peak.
"""

from __future__ import annotations

import contextlib
import threading

import psutil


class TreeRss:
    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self.peak_bytes = 0
        self._root = psutil.Process(pid)
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _sample(self) -> int:
        total = 0
        try:
            procs = [self._root, *self._root.children(recursive=True)]
        except psutil.Error:
            return 0
        for p in procs:
            with contextlib.suppress(psutil.Error):
                total += p.memory_info().rss
        return total

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.peak_bytes = max(self.peak_bytes, self._sample())
            self._stop.wait(self._interval)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak_bytes
