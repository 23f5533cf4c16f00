"""Randomised differential test: the engine against a brute-force model kept in the test, across restarts."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import pytest
from engine_ref import matches, random_filter, random_metadata, scores, sparse_dot

from spruce.engine import Engine, NamespaceStore, Record, parse_filter

DIM = 12
SMALL = {
    "background": False,
    "flush_rows": 37,
    "index_min_rows": 10**9,  # exact everywhere: results must equal the reference
    "merge_small_rows": 120,
    "merge_min_segments": 3,
    "vacuum_fraction": 0.25,
}


@dataclass
class Ref:
    values: np.ndarray | None
    sp: tuple[np.ndarray, np.ndarray] | None
    md: dict[str, Any] | None
    raw: bytes | None


class Harness:
    def __init__(self, root: Path, metric: str, kind: str, rng: random.Random, **cfg: Any) -> None:
        self.root, self.metric, self.kind, self.rng, self.cfg = root, metric, kind, rng, cfg
        self.np_rng = np.random.default_rng(rng.randint(0, 2**31))
        self.engine = Engine(str(root), **cfg)
        dim = None if kind == "sparse" else DIM
        self.engine.create_index("ix", dim, metric, "sparse" if kind == "sparse" else "dense")
        self.model: dict[str, Ref] = {}
        self.ns_name = "ns/ü é"

    @property
    def ns(self) -> NamespaceStore:
        ns = self.engine.open_index("ix").create_namespace(self.ns_name)
        return ns

    def restart(self) -> None:
        if self.rng.random() < 0.5:
            self.engine.close()
        # else: no close at all, like a crash after acknowledged writes (the WAL has them)
        self.engine = Engine(str(self.root), **self.cfg)

    # ---- random data -----------------------------------------------------------------------------------------
    def rand_id(self) -> str:
        return self.rng.choice(["", "é", "z", "a/b"]) + str(self.rng.randint(0, 250))

    def rand_sparse(self) -> tuple[np.ndarray, np.ndarray]:
        idx = np.array(sorted(self.rng.sample(range(60), self.rng.randint(1, 8))), dtype=np.uint32)
        return idx, self.np_rng.standard_normal(len(idx)).astype(np.float32)

    def rand_record(self, rid: str) -> tuple[Record, Ref]:
        values = None if self.kind == "sparse" else self.np_rng.standard_normal(DIM).astype(np.float32)
        if values is not None and self.rng.random() < 0.02:
            values[:] = 0
        sp = None
        if self.kind == "sparse" or (self.kind == "hybrid" and self.rng.random() < 0.8):
            sp = self.rand_sparse()
        md = random_metadata(self.rng)
        raw = None if md is None else json.dumps(md, ensure_ascii=False).encode()  # not msgspec's byte layout
        rec = Record(rid, values, None if sp is None else sp[0], None if sp is None else sp[1], raw)
        return rec, Ref(values, sp, md, raw)

    # ---- operations ------------------------------------------------------------------------------------------
    def op_upsert(self) -> None:
        batch: dict[str, tuple[Record, Ref]] = {}
        for _ in range(self.rng.randint(1, 30)):
            rid = self.rand_id()
            batch[rid] = self.rand_record(rid)
        assert self.ns.upsert([r for r, _ in batch.values()]) == len(batch)
        for rid, (_, ref) in batch.items():
            self.model[rid] = ref

    def op_delete(self) -> None:
        ids = [self.rand_id() for _ in range(self.rng.randint(1, 10))]
        self.ns.delete(ids)
        for i in ids:
            self.model.pop(i, None)

    def op_update(self) -> None:
        rid = self.rng.choice([*self.model, "nope"]) if self.model else "nope"
        new_values = None
        if self.kind != "sparse" and self.rng.random() < 0.5:
            new_values = self.np_rng.standard_normal(DIM).astype(np.float32)
        set_md = {"year": self.rng.randint(1990, 2020), "new": "v"} if self.rng.random() < 0.7 else None
        sp = self.rand_sparse() if self.kind != "dense" and self.rng.random() < 0.5 else None
        ok = self.ns.update(
            rid, values=new_values, sparse_indices=None if sp is None else sp[0],
            sparse_values=None if sp is None else sp[1], set_metadata=set_md,
        )  # fmt: skip
        assert ok == (rid in self.model)
        if ok:
            ref = self.model[rid]
            if new_values is not None:
                ref.values = new_values
            if sp is not None:
                ref.sp = sp
            if set_md:
                ref.md = {**(ref.md or {}), **set_md}
                ref.raw = msgspec.json.encode(ref.md)

    def op_delete_where(self) -> None:
        f = random_filter(self.rng)
        doomed = [i for i, r in self.model.items() if matches(f, r.md)]
        if len(doomed) > len(self.model) // 3:
            return  # keep the namespace populated
        assert self.ns.delete_where(parse_filter(f)) == len(doomed)
        for i in doomed:
            del self.model[i]

    def op_update_where(self) -> None:
        f = random_filter(self.rng)
        hit = [i for i, r in self.model.items() if matches(f, r.md)]
        dry = self.rng.random() < 0.3
        set_md = {"tags": ["upd"], "flag": True}
        assert self.ns.update_where(parse_filter(f), set_md, dry) == len(hit)
        if not dry:
            for i in hit:
                ref = self.model[i]
                ref.md = {**(ref.md or {}), **set_md}
                ref.raw = msgspec.json.encode(ref.md)

    # ---- checks ------------------------------------------------------------------------------------------------
    def check(self) -> None:
        ns = self.ns
        assert ns.count() == len(self.model)
        assert self.engine.open_index("ix").namespaces()[self.ns_name] == len(self.model)
        ids = list(self.model)
        probe = [*self.rng.sample(ids, min(20, len(ids))), "absent"]
        got = {r.id: r for r in ns.fetch(probe)}
        assert set(got) == set(probe) - {"absent"}
        for rid, rec in got.items():
            ref = self.model[rid]
            assert rec.metadata == ref.raw
            if ref.values is not None:
                np.testing.assert_array_equal(rec.values, ref.values)
            if ref.sp is None:
                assert rec.sparse_indices is None
            else:
                np.testing.assert_array_equal(rec.sparse_indices, ref.sp[0])
                np.testing.assert_array_equal(rec.sparse_values, ref.sp[1])
        for _ in range(4):
            self.check_query(ns)
        f = random_filter(self.rng)
        assert ns.count(parse_filter(f)) == sum(matches(f, r.md) for r in self.model.values())
        self.check_listing(ns)

    def check_query(self, ns: NamespaceStore) -> None:
        f = random_filter(self.rng) if self.rng.random() < 0.6 else None
        k = self.rng.choice([1, 5, 10, 50])
        q = None if self.kind == "sparse" else self.np_rng.standard_normal(DIM).astype(np.float32)
        qs = self.rand_sparse() if self.kind != "dense" else None
        live = [(i, r) for i, r in self.model.items() if f is None or matches(f, r.md)]
        ref: dict[str, float] = {}
        if live:
            total = np.zeros(len(live))
            if q is not None:
                total += scores(self.metric, np.stack([r.values for _, r in live]), q)
            if qs is not None:
                qd = dict(zip(qs[0].tolist(), qs[1].tolist(), strict=True))
                total += [sparse_dot(*(r.sp or (None, None)), qd) for _, r in live]
            ref = {i: float(s) for (i, _), s in zip(live, total, strict=True)}
        matches_ = ns.query(
            top_k=k, vector=q, sparse_indices=None if qs is None else qs[0],
            sparse_values=None if qs is None else qs[1], flt=None if f is None else parse_filter(f),
            include_metadata=True, include_values=True,
        )  # fmt: skip
        assert len(matches_) == min(k, len(ref))
        asc = self.metric == "euclidean" and q is not None
        ordered = sorted(ref.values(), reverse=not asc)
        got_scores = [m.score for m in matches_]
        assert got_scores == sorted(got_scores, reverse=not asc)
        for m in matches_:
            assert m.score == pytest.approx(ref[m.id], abs=1e-3, rel=1e-4)
            assert m.record.metadata == self.model[m.id].raw
        if matches_:
            kth = ordered[len(matches_) - 1]
            worst = matches_[-1].score
            assert (worst >= kth - 1e-3) if not asc else (worst <= kth + 1e-3)

    def check_listing(self, ns: NamespaceStore) -> None:
        prefix = self.rng.choice(["", "1", "é", "a/b1", "zz"])
        expected = sorted((i for i in self.model if i.startswith(prefix)), key=lambda s: s.encode())
        limit = self.rng.choice([1, 7, 100])
        out: list[str] = []
        token = None
        while True:
            page, token = ns.list_ids(prefix, limit, token)
            assert len(page) <= limit
            out += page
            if token is None:
                break
        assert out == expected
        f = random_filter(self.rng)
        want = sorted((i for i, r in self.model.items() if matches(f, r.md)), key=lambda s: s.encode())
        found: list[str] = []
        token = None
        while True:
            recs, token = ns.find(parse_filter(f), limit, token)
            found += [r.id for r in recs]
            for r in recs:
                assert r.metadata == self.model[r.id].raw
            if token is None:
                break
        assert found == want


CASES = [
    ("cosine", "dense"),
    ("dotproduct", "dense"),
    ("euclidean", "dense"),
    ("dotproduct", "sparse"),
    ("dotproduct", "hybrid"),
]


@pytest.mark.parametrize(("metric", "kind"), CASES)
def test_differential(tmp_path: Path, metric: str, kind: str) -> None:
    rng = random.Random(hash((metric, kind)) & 0xFFFF)
    h = Harness(tmp_path, metric, kind, rng, **SMALL)
    ops = [
        (h.op_upsert, 10),
        (h.op_delete, 3),
        (h.op_update, 3),
        (h.op_delete_where, 1),
        (h.op_update_where, 1),
    ]
    funcs, weights = zip(*ops, strict=True)
    for step in range(150):
        rng.choices(funcs, weights)[0]()
        if step % 10 == 9:
            h.check()
        if step % 37 == 36:
            h.restart()
            h.check()
        if step % 23 == 22:
            h.engine.optimize()  # merges and vacuums segments between checks
            h.check()
    h.ns.delete_all()
    h.model.clear()
    h.check()
    h.op_upsert()
    h.restart()
    h.check()
    h.engine.close()


def test_namespaces_are_independent(tmp_path: Path) -> None:
    e = Engine(str(tmp_path), **SMALL)
    ix = e.create_index("ix", 2, "dotproduct", "dense")
    for name in ["", "a", "é/..", "x" * 100, "ü" * 300]:
        ix.create_namespace(name).upsert([Record(f"{name}-{i}", np.ones(2, np.float32)) for i in range(len(name) + 1)])
    assert ix.namespaces() == {"": 1, "a": 2, "é/..": 5, "x" * 100: 101, "ü" * 300: 301}
    ix.drop_namespace("a")
    e.close()
    e = Engine(str(tmp_path), **SMALL)
    ix = e.open_index("ix")
    assert ix.namespaces() == {"": 1, "é/..": 5, "x" * 100: 101, "ü" * 300: 301}
    assert ix.namespace("a") is None
    assert ix.create_namespace("a").count() == 0
    e.drop_index("ix")
    with pytest.raises(KeyError):
        e.open_index("ix")
    e.close()
    assert Engine(str(tmp_path), **SMALL)._indexes == {}
