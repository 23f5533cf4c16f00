"""Engine tuning knobs. Defaults suit a server; tests pass small thresholds as ``Engine(root, **kwargs)``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class EngineConfig:
    # Memtable -> sealed segment when either threshold is passed. Kept small because the memtable is
    # scanned exactly on every query (20k x 768 float32 ~ 60 MB ~ 5 ms per scan on this machine).
    flush_rows: int = 10_000
    flush_bytes: int = 32 << 20
    # Segments smaller than this are scanned exactly (cheaper than an index probe, no build cost).
    index_min_rows: int = 20_000
    # Merge ceiling: segments below this many live rows are packed together into ones of about this size, and are
    # not indexed while their namespace is being written (see optimizers.py). 250k keeps a 1M import to ~4 indexed
    # segments (~0.5 ms each) while one merge or build stays under ~1 GB of heap (250k x 768 x 4 B = 0.77 GB).
    merge_small_rows: int = 250_000
    # When quiet, indexed small segments are merged only once this many exist (re-indexing is not free).
    merge_min_segments: int = 4
    # While writes continue, merge early once this many small segments pile up (bounds exact-scan fan-out). 24 x an
    # import's ~10.5k-row commits is about the ceiling, so the rows trigger fires first; 16 merged 168k early and
    # rewrote it again with the next rows.
    merge_max_segments: int = 24
    # A namespace with no write for this long is quiet: its small segments are merged, then indexed. Longer than
    # the import's commit interval (2 s) would delay every import's ANN; an import commits every ~0.5 s here.
    quiet_seconds: float = 1.5
    # A segment waits at most this long for quiet before it is indexed anyway (a namespace never quiet).
    index_after_seconds: float = 60.0
    # Rewrite a segment without its deleted rows once this fraction of it is dead.
    vacuum_fraction: float = 0.3
    background: bool = True
    optimizer_interval: float = 0.5
    # IVF lists probed per unfiltered query (see ann.py for why IVF). 16, not 8: engine_bench 200k reached recall
    # 0.998 at 8, but tests/engine/test_engine_ann.py's less clustered 32-d data needed 16 (dot product: 0.865 at 8,
    # 0.945 at 12, 0.973 at 16; cosine and L2 0.997 at 16).
    nprobe: int = 16
    # Filtered queries probe nprobe * (1 / selectivity) ** nprobe_filter_power lists (at most all of them).
    # 0.75 measured recall >= 0.99 at 50% and 10% on both data sets; 1.0 was no better and 1.5-2x slower at 10%.
    nprobe_filter_power: float = 0.75
    # Planner: exact scan over the matching rows when at most this many (or this fraction) match.
    exact_max_rows: int = 4096
    exact_max_fraction: float = 0.02
