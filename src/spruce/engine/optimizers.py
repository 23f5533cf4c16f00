"""Background optimizers (Qdrant's vocabulary): indexing, merging, vacuuming. One thread per engine.

Each step picks one unit of work in one namespace; queries stay correct throughout because a segment's
ANN index is attached only when complete and merged segments replace their sources in one manifest commit.
"""

from __future__ import annotations

import ctypes
import logging
import threading
from collections.abc import Callable, Iterable

import numpy as np

from spruce.engine.ann import Ann
from spruce.engine.config import EngineConfig
from spruce.engine.namespace import NamespaceStore
from spruce.engine.rowset import RowSet

log = logging.getLogger(__name__)

try:
    _LIBC: ctypes.CDLL | None = ctypes.CDLL("libc.so.6")
    _LIBC.malloc_trim  # noqa: B018  (glibc only)
except (OSError, AttributeError):
    _LIBC = None


def _quiet(ns: NamespaceStore, cfg: EngineConfig, force: bool) -> bool:
    return force or ns.idle_seconds() >= cfg.quiet_seconds


def index_step(ns: NamespaceStore, cfg: EngineConfig, stop: threading.Event, force: bool = False) -> bool:
    """Build the ANN index once per segment that will stay: merge first, index once.

    A segment below the merge ceiling is indexed only once its namespace is quiet (merge_step has then packed the
    small ones together) or it has waited ``index_after_seconds`` (a namespace that is never quiet still gets
    indexes). Indexing every segment as it appeared built HNSW on 42k, 73k, 104k... row merge results and threw each
    away: 96-141 s to ANN-ready for a 200k import, against one 200k build.
    """
    quiet = _quiet(ns, cfg, force)
    todo = [
        (_live(rs.n, d), rs)
        for rs, d in ns.segments_view()
        if rs.ann is None and rs.vectors is not None and rs.n >= cfg.index_min_rows
    ]
    for live, rs in sorted(todo, key=lambda t: -t[0]):  # largest first: most query time saved
        if quiet or live >= cfg.merge_small_rows or rs.age() >= cfg.index_after_seconds:
            assert rs.norms is not None
            ann = Ann.build(rs.vectors, rs.norms, ns.metric, stop)
            if ann is not None:
                ns.attach_index(rs, ann)  # serves the index memory-mapped from its file
            del ann
            trim_heap()
            return True
    return False


def trim_heap() -> None:
    """Hand freed heap back to the OS. glibc keeps the ~0.9 GB an IVF build of 200k x 768 allocated in list-sized
    chunks (the server's anonymous RSS stayed at 0.81 GB after the build was freed); malloc_trim returns it."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def merge_step(ns: NamespaceStore, cfg: EngineConfig, stop: threading.Event, force: bool = False) -> bool:
    """Pack segments below ``merge_small_rows`` live rows into ones of about that size, smallest first.

    While the namespace is being written, merge only a whole target's worth (or when ``merge_max_segments`` small
    ones pile up, bounding the exact-scan fan-out): merging 4 at a time as they arrived rewrote the rows of a 200k
    import ~3 times. Once quiet, the unindexed small segments are merged together (they have no index to lose),
    and indexed ones only when ``merge_min_segments`` of them are small.
    """
    small = sorted(
        ((live, rs) for rs, d in ns.segments_view() if (live := _live(rs.n, d)) < cfg.merge_small_rows),
        key=lambda t: t[0],
    )
    total = sum(live for live, _ in small)
    if len(small) >= 2 and (total >= cfg.merge_small_rows or len(small) >= cfg.merge_max_segments):
        return ns.rewrite(_pack(small, cfg.merge_small_rows), stop)
    if not _quiet(ns, cfg, force):
        return False
    if len(small) >= cfg.merge_min_segments:
        return ns.rewrite(_pack(small, cfg.merge_small_rows), stop)
    fresh = [(live, rs) for live, rs in small if rs.ann is None]
    if len(fresh) >= 2:
        return ns.rewrite(_pack(fresh, cfg.merge_small_rows), stop)
    return False


def _pack(small: list[tuple[int, RowSet]], ceiling: int) -> list[RowSet]:
    """The smallest segments whose rows first reach ``ceiling`` (all of them if they never do)."""
    out, total = [], 0
    for live, rs in small:
        out.append(rs)
        total += live
        if total >= ceiling:
            break
    return out


def vacuum_step(ns: NamespaceStore, cfg: EngineConfig, stop: threading.Event, force: bool = False) -> bool:
    for rs, d in ns.segments_view():
        if d is not None and rs.n - _live(rs.n, d) >= cfg.vacuum_fraction * rs.n:
            return ns.rewrite([rs], stop)
    return False


def _live(n: int, deleted: np.ndarray | None) -> int:
    return n if deleted is None else n - int(np.count_nonzero(deleted))


STEPS = (vacuum_step, merge_step, index_step)


def optimize_once(
    namespaces: Iterable[NamespaceStore], cfg: EngineConfig, stop: threading.Event, force: bool = False
) -> bool:
    """Run at most one step per namespace; True if any work was done. ``force`` treats every namespace as quiet."""
    worked = False
    for ns in namespaces:
        for step in STEPS:
            if stop.is_set() or ns.closed:
                return worked
            try:
                if step(ns, cfg, stop, force):
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
                if not optimize_once(self._namespaces(), self._cfg, self._stop, force=True):
                    return

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join()
