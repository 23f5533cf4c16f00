"""One namespace: WAL + memtable, sealed segments with deletion bitmaps, the id map, and the read/write paths.

Locking: ``_write`` serialises writers (WAL order = apply order) and is held across flushes and commits;
``_state`` guards the in-memory state and is held only briefly, so readers (who take a snapshot of the segment
list and memtable under it) never wait for a flush or an fsync.
"""

from __future__ import annotations

import heapq
import threading
import time
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import islice

import msgspec
import numpy as np
import pyarrow as pa

from spruce.engine import walcodec
from spruce.engine.ann import Ann
from spruce.engine.bulk import prepare_bulk
from spruce.engine.config import EngineConfig
from spruce.engine.filters import Filter
from spruce.engine.manifest import Manifest, ManifestStore, SegmentEntry, encode_checkpoint
from spruce.engine.memtable import Memtable
from spruce.engine.planner import Query, live_mask, search, single_threaded_faiss, top_k
from spruce.engine.records import BulkBatch, Match, Record
from spruce.engine.rowset import RowSet
from spruce.engine.segment import load_segment, remove_segment_files, seg_key, write_segment
from spruce.engine.wal import Wal
from spruce.errors import InvalidArgument
from spruce.storage.datadir import DataDir
from spruce.validation import metadata_problem

View = tuple[tuple[RowSet, np.ndarray | None], ...]


@dataclass(frozen=True, slots=True)
class NamespaceStats:
    wal_bytes: int  # write-ahead log not yet sealed into a segment
    memtable_rows: int
    segments: int
    unindexed_rows: int  # rows answered by exact scan: the memtable and segments without an ANN index yet

_json_decode = msgspec.json.Decoder().decode
_json_encode = msgspec.json.Encoder().encode



def _loc(no: int, row: int) -> int:
    return (no << 32) | row


class NamespaceStore:
    def __init__(
        self,
        dd: DataDir,
        ns_dir: str,
        name: str,
        *,
        dimension: int | None,
        metric: str,
        cfg: EngineConfig,
        create: bool = False,
    ) -> None:
        self.dd, self.dir, self.name = dd, ns_dir, name
        self.dimension, self.metric, self.cfg = dimension, metric, cfg
        self._write = threading.RLock()
        self._state = threading.Lock()
        self._manifest = ManifestStore(dd, ns_dir)
        self._segs: dict[int, RowSet] = {}
        self._deleted: dict[int, np.ndarray | None] = {}
        self._dirty: set[int] = set()  # segments whose deletion bitmap changed since the last manifest
        self._idmap: dict[str, int] = {}  # segment-resident live id -> _loc(no, row)
        self._mem = Memtable(dimension)
        self._view: View = ()
        self._last_write = time.monotonic()
        self.closed = False
        if create:
            dd.makedirs(ns_dir)
            if not self._manifest.load():
                self._manifest.commit(Manifest())
        elif not self._manifest.load():
            raise KeyError(name)
        self._recover()
        self._wal = Wal(dd, self._wal_key(self._manifest.current.wal_gen))

    # ---- recovery -----------------------------------------------------------------------------------------------
    def _wal_key(self, gen: int) -> str:
        return f"{self.dir}/wal-{gen:08d}.log"

    def _recover(self) -> None:
        m = self._manifest.current
        keep = {"MANIFEST", "NAME", f"wal-{m.wal_gen:08d}.log"}
        for e in m.segments:
            rs = load_segment(self.dd, self.dir, e.no)
            deleted = None
            if e.deletions:
                keep.add(e.deletions)
                bits = np.frombuffer(self.dd.read_bytes(f"{self.dir}/{e.deletions}"), np.uint8)
                deleted = np.unpackbits(bits, count=rs.n, bitorder="little").astype(bool)
            faiss_key = seg_key(self.dir, e.no, "faiss")
            if self.dd.exists(faiss_key):
                rs.ann = Ann.load(self.dd, faiss_key, self.metric, rs.norms)  # type: ignore[arg-type]
            keep.update(
                k.rsplit("/", 1)[1] for k in (seg_key(self.dir, e.no, s) for s in ("arrow", "cols.arrow", "faiss"))
            )
            self._segs[e.no], self._deleted[e.no] = rs, deleted
            self._map_rows(rs, None if deleted is None else np.flatnonzero(~deleted))
        for name in self.dd.list(self.dir):
            if name not in keep:  # orphans of interrupted flushes, merges, bulk writes
                self.dd.remove(f"{self.dir}/{name}")
        for payload in Wal.recover(self.dd, self._wal_key(m.wal_gen)):
            op, body = walcodec.decode(payload)
            if op == "u":
                recs: list[Record] = body  # type: ignore[assignment]
                self._apply_upsert(recs, [_doc(r.metadata) for r in recs])
            else:
                self._apply_delete(body)  # type: ignore[arg-type]
        self._publish()

    # ---- in-memory apply (callers hold _write) -------------------------------------------------------------------
    def _map_rows(self, rs: RowSet, rows: np.ndarray | None) -> None:
        """Point the id map at ``rows`` (None = all) of ``rs``, without a Python-level loop per row."""
        if rows is None:
            rows = np.arange(rs.n, dtype=np.int64)
            ids = rs.ids
        else:
            ids = [rs.ids[r] for r in rows.tolist()]
        self._idmap.update(zip(ids, (rows.astype(np.int64) | (rs.no << 32)).tolist(), strict=True))

    def _publish(self) -> None:
        self._view = tuple((self._segs[no], self._deleted[no]) for no in sorted(self._segs))

    def _mark_deleted(self, locs: list[int]) -> None:
        by_seg: dict[int, list[int]] = {}
        for loc in locs:
            by_seg.setdefault(loc >> 32, []).append(loc & 0xFFFFFFFF)
        for no, rows in by_seg.items():
            old = self._deleted[no]
            new = np.zeros(self._segs[no].n, bool) if old is None else old.copy()  # copy-on-write
            new[rows] = True
            self._deleted[no] = new
            self._dirty.add(no)

    def _apply_upsert(self, recs: Sequence[Record], docs: Sequence[dict[str, object] | None]) -> None:
        with self._state:
            locs = [loc for r in recs if (loc := self._idmap.pop(r.id, None)) is not None]
            self._mark_deleted(locs)
            for r, d in zip(recs, docs, strict=True):
                self._mem.put(r, d)
            if locs:
                self._publish()

    def _apply_delete(self, ids: Sequence[str]) -> None:
        with self._state:
            locs = []
            for i in ids:
                if not self._mem.remove(i) and (loc := self._idmap.pop(i, None)) is not None:
                    locs.append(loc)
            self._mark_deleted(locs)
            if locs:
                self._publish()

    def _snapshot(self) -> View:
        with self._state:
            mem = self._mem.snapshot()
            return (*self._view, mem) if mem[0].n else self._view

    # ---- validation --------------------------------------------------------------------------------------------
    def _check_record(self, r: Record) -> None:
        if self.dimension is not None:
            if r.values is None:
                raise InvalidArgument(f"Vector {r.id!r} has no dense values; the index is dense")
            if r.values.shape != (self.dimension,):
                raise InvalidArgument(
                    f"Vector dimension {r.values.size} does not match the dimension of the index {self.dimension}"
                )
        elif r.values is not None and r.values.size:
            raise InvalidArgument("Sparse indexes take no dense values")
        if (r.sparse_indices is None) != (r.sparse_values is None) or (
            r.sparse_indices is not None and len(r.sparse_indices) != len(r.sparse_values)  # type: ignore[arg-type]
        ):
            raise InvalidArgument(f"Sparse indices and values of {r.id!r} differ in length")
        if self.dimension is None and (r.sparse_indices is None or not len(r.sparse_indices)):
            raise InvalidArgument(f"Vector {r.id!r} has no sparse values; the index is sparse")

    @staticmethod
    def _normalise(r: Record) -> Record:
        si = r.sparse_indices
        if si is not None and not len(si):
            si = None
        return Record(
            r.id,
            None if r.values is None else np.asarray(r.values, np.float32),
            None if si is None else np.asarray(si, np.uint32),
            None if si is None else np.asarray(r.sparse_values, np.float32),
            r.metadata,
        )

    # ---- writes ------------------------------------------------------------------------------------------------
    def _commit_wal(self, payload: bytes, apply: object) -> None:
        """Append + apply under the write lock, fsync (grouped) outside it, then flush if the memtable is full."""
        with self._write:
            self._check_open()
            lsn = self._wal.append(payload)
            apply()  # type: ignore[operator]
            self._last_write = time.monotonic()
        self._wal.sync_to(lsn)
        self._maybe_flush()

    def upsert(self, records: Sequence[Record]) -> int:
        recs = [self._normalise(r) for r in records]
        for r in recs:
            self._check_record(r)
        if not recs:
            return 0
        docs = [_doc(r.metadata) for r in recs]
        self._commit_wal(walcodec.encode_upsert(recs), lambda: self._apply_upsert(recs, docs))
        return len(recs)

    def delete(self, ids: Sequence[str]) -> None:
        ids = list(ids)
        if ids:
            self._commit_wal(walcodec.encode_delete(ids), lambda: self._apply_delete(ids))

    def delete_where(self, flt: Filter) -> int:
        with self._write:
            ids = [r.id for r in self._matching(flt, values=False, metadata=False)]
            if ids:
                lsn = self._wal.append(walcodec.encode_delete(ids))
                self._apply_delete(ids)
        if ids:
            self._wal.sync_to(lsn)
            self._maybe_flush()
        return len(ids)

    def delete_all(self) -> None:
        with self._write:
            self._check_open()
            # A manifest with no segments and a fresh log: one atomic commit, no per-record work.
            old_segs = list(self._segs)
            m = self._manifest.current
            new = Manifest(next_seg=m.next_seg, wal_gen=m.wal_gen + 1, segments=[], checkpoints=dict(m.checkpoints))
            old_wal = self._wal.rotate(self._wal_key(new.wal_gen))
            old_del = [e.deletions for e in m.segments if e.deletions]
            self._manifest.commit(new)
            with self._state:
                self._segs.clear()
                self._deleted.clear()
                self._dirty.clear()
                self._idmap.clear()
                self._mem = Memtable(self.dimension)
                self._publish()
            self.dd.remove(old_wal)
            for no in old_segs:
                remove_segment_files(self.dd, self.dir, no)
            for name in old_del:
                self.dd.remove(f"{self.dir}/{name}")

    def update(
        self,
        id: str,
        values: np.ndarray | None = None,
        sparse_indices: np.ndarray | None = None,
        sparse_values: np.ndarray | None = None,
        set_metadata: dict[str, object] | None = None,
    ) -> bool:
        with self._write:
            found = self.fetch([id])
            if not found:
                return False
            rec = found[0]
            if values is not None:
                rec.values = values
            if sparse_indices is not None:
                rec.sparse_indices, rec.sparse_values = sparse_indices, sparse_values
            if set_metadata:
                rec.metadata = _merge_metadata(rec.metadata, set_metadata)
            self.upsert([rec])  # re-entrant: the write lock is an RLock
        return True

    def update_where(self, flt: Filter, set_metadata: dict[str, object], dry_run: bool) -> int:
        with self._write:
            recs = self._matching(flt, values=True, metadata=True)
            if not dry_run and recs and set_metadata:
                for r in recs:
                    r.metadata = _merge_metadata(r.metadata, set_metadata)
                for start in range(0, len(recs), 1000):
                    self.upsert(recs[start : start + 1000])
            return len(recs)

    # ---- flush -------------------------------------------------------------------------------------------------
    def _maybe_flush(self) -> None:
        cfg = self.cfg
        if len(self._mem.ids) >= cfg.flush_rows or self._mem.nbytes >= cfg.flush_bytes:
            with self._write:
                if len(self._mem.ids) >= cfg.flush_rows or self._mem.nbytes >= cfg.flush_bytes:
                    self._flush_locked()

    def flush(self) -> None:
        with self._write:
            if self._wal.bytes or self._dirty:
                self._flush_locked()

    def _flush_locked(self) -> None:
        """Seal the memtable into a segment, persist deletion bitmaps, start a new log: one manifest commit."""
        rs = None
        if len(self._mem):
            no = self._reserve_segment_no()
            cols = self._mem.live_columns()
            write_segment(self.dd, self.dir, no, **cols)  # type: ignore[arg-type]
            rs = load_segment(self.dd, self.dir, no, cols["cols"])  # type: ignore[arg-type]
        m = self._manifest.current
        new = self._next_manifest(m, add=[] if rs is None else [rs])
        new.wal_gen = m.wal_gen + 1
        old_wal = self._wal.rotate(self._wal_key(new.wal_gen))
        self._commit(new)
        with self._state:
            if rs is not None:
                self._segs[rs.no], self._deleted[rs.no] = rs, None
                self._map_rows(rs, None)
            self._mem = Memtable(self.dimension)
            self._publish()
        self.dd.remove(old_wal)

    def _next_manifest(self, m: Manifest, add: list[RowSet], drop: Sequence[int] = ()) -> Manifest:
        """Next manifest: segments minus ``drop`` plus ``add``; dirty deletion bitmaps written to new files."""
        version = m.version + 1
        segments = []
        for e in m.segments:
            if e.no in drop:
                continue
            if e.no in self._dirty:
                e = SegmentEntry(e.no, e.rows, self._write_deletions(e.no, version))
            segments.append(e)
        for rs in add:
            deletions = self._write_deletions(rs.no, version) if rs.no in self._dirty else None
            segments.append(SegmentEntry(rs.no, rs.n, deletions))
        return Manifest(
            next_seg=max([m.next_seg, *(rs.no + 1 for rs in add)]),
            wal_gen=m.wal_gen,
            segments=segments,
            checkpoints=dict(m.checkpoints),
        )

    def _write_deletions(self, no: int, version: int) -> str | None:
        deleted = self._deleted.get(no)
        if deleted is None:
            return None
        name = f"seg-{no:08d}.del-{version:08d}"
        self.dd.write_atomic(f"{self.dir}/{name}", np.packbits(deleted, bitorder="little").tobytes())
        return name

    def _commit(self, new: Manifest) -> None:
        old = self._manifest.current
        self._manifest.commit(new)
        self._dirty.clear()
        live_del = {e.deletions for e in new.segments}
        for e in old.segments:
            if e.deletions and e.deletions not in live_del:
                self.dd.remove(f"{self.dir}/{e.deletions}")

    # ---- bulk path ---------------------------------------------------------------------------------------------
    def bulk_write(self, batch: BulkBatch, checkpoint_key: str, checkpoint: bytes) -> None:
        cols = prepare_bulk(batch, self.dimension)
        n = len(cols["ids"])
        with self._write:
            self._check_open()
            no = self._reserve_segment_no() if n else None
        if no is not None:
            write_segment(self.dd, self.dir, no, **cols)  # type: ignore[arg-type]
            rs = load_segment(self.dd, self.dir, no, cols["cols"])  # type: ignore[arg-type]
        with self._write:
            self._check_open()
            if len(self._mem) or self._wal.bytes:
                self._flush_locked()  # the log must hold nothing older than the new segment
            with self._state:
                if no is not None:
                    locs = [loc for i in rs.ids if (loc := self._idmap.pop(i, None)) is not None]
                    self._mark_deleted(locs)
            m = self._manifest.current
            new = self._next_manifest(m, add=[] if no is None else [rs])
            new.checkpoints[checkpoint_key] = encode_checkpoint(checkpoint)
            self._commit(new)
            self._last_write = time.monotonic()
            with self._state:
                if no is not None:
                    self._segs[no], self._deleted[no] = rs, None
                    self._map_rows(rs, None)
                self._publish()

    def _reserve_segment_no(self) -> int:
        # Bumped in the current manifest object so no later flush reuses it before this one commits.
        m = self._manifest.current
        no = m.next_seg
        m.next_seg = no + 1
        return no

    def checkpoint(self, checkpoint_key: str) -> bytes | None:
        return self._manifest.checkpoint(checkpoint_key)

    # ---- reads -------------------------------------------------------------------------------------------------
    def _query_vector(self, vector: np.ndarray | None) -> np.ndarray | None:
        if vector is None:
            return None
        v = np.asarray(vector, np.float32).reshape(-1)
        if self.dimension is None:
            raise InvalidArgument("Sparse indexes are queried with a sparse vector only")
        if v.size != self.dimension:
            raise InvalidArgument(
                f"Vector dimension {v.size} does not match the dimension of the index {self.dimension}"
            )
        if self.metric == "cosine":
            norm = float(np.linalg.norm(v))
            v = v / norm if norm > 0 else v
        return v

    def query(
        self,
        *,
        top_k: int,
        vector: np.ndarray | None = None,
        sparse_indices: np.ndarray | None = None,
        sparse_values: np.ndarray | None = None,
        flt: Filter | None = None,
        include_values: bool = False,
        include_metadata: bool = False,
    ) -> list[Match]:
        q = Query(
            top_k=top_k,
            metric=self.metric,
            vector=self._query_vector(vector),
            sparse_indices=None if sparse_indices is None else np.asarray(sparse_indices, np.uint32),
            sparse_values=None if sparse_values is None else np.asarray(sparse_values, np.float32),
            flt=flt,
        )
        if q.vector is None and q.sparse_indices is None:
            raise InvalidArgument("A query needs a dense vector or a sparse vector")
        if top_k <= 0:
            return []
        single_threaded_faiss()
        view = self._snapshot()
        parts = [(i, *search(rs, deleted, q, self.cfg)) for i, (rs, deleted) in enumerate(view)]
        if not parts:
            return []
        which = np.concatenate([np.full(len(rows), i) for i, rows, _ in parts])
        rows = np.concatenate([p[1] for p in parts])
        scores = np.concatenate([p[2] for p in parts]).astype(np.float32)
        best = top_k_positions(scores, top_k, q.ascending)
        out = []
        for pos in best:
            rs = view[int(which[pos])][0]
            rec = rs.record(int(rows[pos]), include_values, include_metadata)
            out.append(Match(rec.id, float(scores[pos]), rec))
        return out

    def fetch(self, ids: Sequence[str]) -> list[Record]:
        out = []
        with self._state:
            mem_rs = self._mem.snapshot()[0]
            for i in ids:
                row = self._mem.rows.get(i)
                if row is not None:
                    out.append(mem_rs.record(row))
                elif (loc := self._idmap.get(i)) is not None:
                    out.append(self._segs[loc >> 32].record(loc & 0xFFFFFFFF))
        return out

    def _matching(self, flt: Filter | None, values: bool, metadata: bool) -> list[Record]:
        out = []
        for rs, deleted in self._snapshot():
            mask = live_mask(rs, deleted, flt)
            rows = range(rs.n) if mask is None else np.flatnonzero(mask).tolist()
            out.extend(rs.record(r, values, metadata) for r in rows)
        return out

    def count(self, flt: Filter | None = None) -> int:
        total = 0
        for rs, deleted in self._snapshot():
            mask = live_mask(rs, deleted, flt)
            total += rs.n if mask is None else int(np.count_nonzero(mask))
        return total

    def list_ids(self, prefix: str, limit: int, after: str | None) -> tuple[list[str], str | None]:
        def scan(rs: RowSet, deleted: np.ndarray | None) -> Iterator[str]:
            ids, rows = rs.sorted_ids()
            i = bisect_left(ids, prefix)
            if after is not None:
                i = max(i, bisect_right(ids, after))
            for j in range(i, len(ids)):
                if not ids[j].startswith(prefix):
                    return
                if deleted is None or not deleted[rows[j]]:
                    yield ids[j]

        merged = heapq.merge(*(scan(rs, d) for rs, d in self._snapshot()))
        page = list(islice(merged, limit + 1))
        if len(page) > limit:
            return page[:limit], page[limit - 1] if limit else None
        return page, None

    def find(self, flt: Filter, limit: int, after: str | None) -> tuple[list[Record], str | None]:
        hits: list[tuple[str, RowSet, int]] = []
        for rs, deleted in self._snapshot():
            mask = live_mask(rs, deleted, flt)
            rows = range(rs.n) if mask is None else np.flatnonzero(mask).tolist()
            hits.extend((rs.ids[r], rs, r) for r in rows if after is None or rs.ids[r] > after)
        page = heapq.nsmallest(limit + 1, hits, key=lambda h: h[0])
        recs = [rs.record(r) for _, rs, r in page[:limit]]
        nxt = page[limit - 1][0] if len(page) > limit and limit else None
        return recs, nxt

    # ---- optimizer hooks (called from the optimizer thread) -------------------------------------------------------
    def idle_seconds(self) -> float:
        """Seconds since the last write (upsert, delete or bulk batch): the optimizer's "quiet" signal."""
        return time.monotonic() - self._last_write

    def segments_view(self) -> View:
        return self._view

    def stats(self) -> NamespaceStats:
        """Cheap counters for monitoring: read without locks, so a concurrent write may be half counted."""
        view = self._view
        unindexed = sum(rs.n for rs, _ in view if rs.ann is None)
        mem_rows = len(self._mem)
        return NamespaceStats(wal_bytes=self._wal.bytes, memtable_rows=mem_rows, segments=len(view),
                              unindexed_rows=unindexed + mem_rows)

    def attach_index(self, rs: RowSet, ann: Ann) -> None:
        """Persist a freshly built ANN index and let queries use it (the segment itself is unchanged)."""
        key = seg_key(self.dir, rs.no, "faiss")
        if self.closed or self._segs.get(rs.no) is not rs:
            return
        self.dd.write_atomic_with(key, ann.write)  # hundreds of MB: not under the write lock
        # Serve from the memory-mapped file, not the built index: its heap copy of the vectors (600 MB per 200k x
        # 768) is freed when the optimizer drops it, and the mapped pages are the page cache's to evict.
        ann = Ann.load(self.dd, key, self.metric, rs.norms)  # type: ignore[arg-type]
        with self._write:
            if self.closed or self._segs.get(rs.no) is not rs:
                self.dd.remove(key)  # merged away or dropped meanwhile
                return
            rs.ann = ann

    def rewrite(self, sources: list[RowSet], stop: threading.Event) -> bool:
        """Merge ``sources`` (or vacuum one) into a new segment of their live rows."""
        with self._state:
            snap = [(rs, self._deleted[rs.no]) for rs in sources if self._segs.get(rs.no) is rs]
        if len(snap) != len(sources):
            return False
        live = [np.arange(rs.n) if d is None else np.flatnonzero(~d) for rs, d in snap]
        cols = _concat_rows([(rs, rows) for (rs, _), rows in zip(snap, live, strict=True)])
        if stop.is_set():
            return False
        with self._write:
            if self.closed:
                return False
            no = self._reserve_segment_no()
        write_segment(self.dd, self.dir, no, **cols)  # type: ignore[arg-type]
        metacols = cols["cols"]
        del cols  # the merged vectors in heap (600 MB at 200k x 768); the segment is read back memory-mapped
        merged = load_segment(self.dd, self.dir, no, metacols)  # type: ignore[arg-type]
        with self._write:
            if self.closed or any(self._segs.get(rs.no) is not rs for rs in sources):
                remove_segment_files(self.dd, self.dir, no)
                return False
            # Rows deleted while we copied: carry their deletions over to the merged segment.
            now_deleted = np.concatenate(
                [
                    np.zeros(len(rows), bool) if self._deleted[rs.no] is None else self._deleted[rs.no][rows]
                    for (rs, _), rows in zip(snap, live, strict=True)
                ]
            )
            with self._state:
                self._deleted[no] = now_deleted if now_deleted.any() else None
                if now_deleted.any():
                    self._dirty.add(no)
                drop = [rs.no for rs in sources]
                new = self._next_manifest(self._manifest.current, add=[merged], drop=drop)
            self._commit(new)
            with self._state:
                self._segs[no] = merged
                for d in drop:
                    del self._segs[d]
                    del self._deleted[d]
                    self._dirty.discard(d)
                self._map_rows(merged, np.flatnonzero(~now_deleted))
                self._publish()
            for d in drop:
                remove_segment_files(self.dd, self.dir, d)
        return True

    # ---- lifecycle ---------------------------------------------------------------------------------------------
    def _check_open(self) -> None:
        if self.closed:
            raise InvalidArgument(f"namespace {self.name!r} was dropped")

    def close(self) -> None:
        with self._write:
            if not self.closed:
                if self._wal.bytes or self._dirty:
                    self._flush_locked()  # seal the memtable so the next start replays nothing
                self.closed = True
                self._wal.close()

    def drop(self) -> None:
        """Close without flushing and remove every file (the manifest first: without it nothing is there)."""
        with self._write:
            if not self.closed:
                self.closed = True
                self._wal.close()
            self.dd.remove(self._manifest.key)
            if self.dd.exists(self.dir):
                self.dd.sync_dir(self.dir)
            self.dd.remove_tree(self.dir)


def top_k_positions(scores: np.ndarray, k: int, ascending: bool) -> np.ndarray:
    return top_k(scores, k, ascending)


def _doc(raw: bytes | None) -> dict[str, object] | None:
    if not raw:
        return None
    doc = _json_decode(raw)
    return doc if isinstance(doc, dict) else None


def _merge_metadata(raw: bytes | None, set_metadata: dict[str, object]) -> bytes:
    """The stored metadata with ``set_metadata`` laid over it; refused when the result breaks the record rules
    (e.g. two fields each under 40 KB that together are over). Callers merge before writing anything."""
    doc = _doc(raw) or {}
    doc.update(set_metadata)
    merged = _json_encode(doc)
    problem = metadata_problem(doc, len(merged))
    if problem:
        raise InvalidArgument(f"After setMetadata, {problem}")
    return merged


def _concat_rows(parts: list[tuple[RowSet, np.ndarray]]) -> dict[str, object]:
    """Columns for a new segment holding the given rows of sealed segments, in order."""
    from spruce.engine.metacols import MetaColumns

    ids = pa.concat_arrays([rs.raw_ids.take(rows) for rs, rows in parts])  # type: ignore[union-attr]
    vectors = norms = None
    if parts and parts[0][0].vectors is not None:
        # One copy straight into the result: vectors[rows] then np.concatenate held two (1.2 GB at 200k x 768).
        total = sum(len(rows) for _, rows in parts)
        vectors = np.empty((total, parts[0][0].vectors.shape[1]), np.float32)
        norms = np.empty(total, np.float32)
        at = 0
        for rs, rows in parts:
            # mode="clip": rows are valid, and "raise" would buffer the output (another copy).
            np.take(rs.vectors, rows, axis=0, out=vectors[at : at + len(rows)], mode="clip")
            np.take(rs.norms, rows, out=norms[at : at + len(rows)], mode="clip")
            at += len(rows)
    take = pa.array
    meta = pa.concat_arrays([rs.raw_metadata.take(take(rows)) for rs, rows in parts])  # type: ignore[union-attr]
    sp_i = pa.concat_arrays([rs.raw_sparse[0].take(take(rows)) for rs, rows in parts])  # type: ignore[index]
    sp_v = pa.concat_arrays([rs.raw_sparse[1].take(take(rows)) for rs, rows in parts])  # type: ignore[index]
    return {
        "ids": ids,
        "values": vectors,
        "sparse_indices": sp_i,
        "sparse_values": sp_v,
        "metadata": meta,
        "cols": MetaColumns.from_json(meta, len(meta)),
        "norms": norms,
    }
