"""Engine tuning knobs. Defaults suit a server; tests pass small thresholds as ``Engine(root, **kwargs)``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class EngineConfig:
    # Memtable -> sealed segment when either threshold is passed. Kept small because the memtable is
    # scanned exactly on every query (20k x 768 float32 ~ 60 MB ~ 5 ms per scan on this machine).
    flush_rows: int = 10_000
    flush_bytes: int = 32 << 20
    # Segments smaller than this are scanned exactly (cheaper than an HNSW walk, no build cost).
    index_min_rows: int = 20_000
    # Tiered merge: when at least merge_min_segments segments have fewer than merge_small_rows live rows,
    # they are merged into one (which then gets indexed).
    merge_small_rows: int = 100_000
    merge_min_segments: int = 4
    # Rewrite a segment without its deleted rows once this fraction of it is dead.
    vacuum_fraction: float = 0.3
    background: bool = True
    optimizer_interval: float = 0.5
    # HNSW parameters (see ann.py for why HNSW).
    hnsw_m: int = 16
    ef_construction: int = 40
    ef_search: int = 96
    # Filtered walks: efSearch = ef_search * (1 / selectivity) ** ef_filter_power, capped at 4096.
    ef_filter_power: float = 0.75
    # Planner: exact scan over the matching rows when at most this many (or this fraction) match.
    exact_max_rows: int = 4096
    exact_max_fraction: float = 0.02
