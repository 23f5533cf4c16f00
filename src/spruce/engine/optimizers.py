"""Background optimizers (Qdrant's vocabulary): indexing, merging, vacuuming. One thread per engine.

Each step picks one unit of work in one namespace; queries stay correct throughout because a segment's
ANN index is attached only when complete and merged segments replace their sources in one manifest commit.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

import numpy as np

from spruce.engine.ann import Ann
from spruce.engine.config import EngineConfig
from spruce.engine.namespace import NamespaceStore

log = logging.getLogger(__name__)


def index_step(ns: NamespaceStore, cfg: EngineConfig, stop: threading.Event) -> bool:
    for rs, _ in ns.segments_view():
        if rs.ann is None and rs.vectors is not None and rs.n >= cfg.index_min_rows:
            assert rs.norms is not None
            ann = Ann.build(rs.vectors, rs.norms, ns.metric, cfg.hnsw_m, cfg.ef_construction, stop)
            if ann is not None:
                ns.attach_index(rs, ann)
            return True
    return False


def merge_step(ns: NamespaceStore, cfg: EngineConfig, stop: threading.Event) -> bool:
    small = [rs for rs, d in ns.segments_view() if _live(rs.n, d) < cfg.merge_small_rows]
    if len(small) < cfg.merge_min_segments:
        return False
    return ns.rewrite(small, stop)


def vacuum_step(ns: NamespaceStore, cfg: EngineConfig, stop: threading.Event) -> bool:
    for rs, d in ns.segments_view():
        if d is not None and rs.n - _live(rs.n, d) >= cfg.vacuum_fraction * rs.n:
            return ns.rewrite([rs], stop)
    return False


def _live(n: int, deleted: np.ndarray | None) -> int:
    return n if deleted is None else n - int(np.count_nonzero(deleted))


STEPS = (vacuum_step, merge_step, index_step)


def optimize_once(namespaces: Iterable[NamespaceStore], cfg: EngineConfig, stop: threading.Event) -> bool:
    """Run at most one step per namespace; True if any work was done."""
    worked = False
    for ns in namespaces:
        for step in STEPS:
            if stop.is_set() or ns.closed:
                return worked
            try:
                if step(ns, cfg, stop):
                    worked = True
                    break
            except Exception:  # an optimizer failure must not kill the thread; the data stays as it was
                log.exception("optimizer %s failed on namespace %r", step.__name__, ns.name)
    return worked


class Optimizer:
    def __init__(self, namespaces: Callable[[], list[NamespaceStore]], cfg: EngineConfig) -> None:
        self._namespaces = namespaces
        self._cfg = cfg
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="spruce-optimizer", daemon=True)
        self.busy = threading.Lock()  # held while a step runs, so callers can wait for quiescence

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            with self.busy:
                worked = optimize_once(self._namespaces(), self._cfg, self._stop)
            if not worked:
                self._wake.wait(self._cfg.optimizer_interval)
                self._wake.clear()

    def run_until_idle(self) -> None:
        """Synchronously optimize until nothing is left to do (tests, benchmarks)."""
        while True:
            with self.busy:
                if not optimize_once(self._namespaces(), self._cfg, self._stop):
                    return

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join()
