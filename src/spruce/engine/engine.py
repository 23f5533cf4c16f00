"""The engine: indexes under one root directory, and the background optimizer that serves them all."""

from __future__ import annotations

import threading
from dataclasses import fields

import msgspec

from spruce.engine.config import EngineConfig
from spruce.engine.index import IndexStore
from spruce.engine.namespace import NamespaceStore
from spruce.engine.optimizers import Optimizer
from spruce.errors import AlreadyExists, InvalidArgument
from spruce.storage.datadir import DataDir

_METRICS = ("cosine", "euclidean", "dotproduct")


class _IndexMeta(msgspec.Struct):
    name: str
    dimension: int | None
    metric: str
    vector_type: str


def _index_dir(name: str) -> str:
    return "i" + name.encode().hex()


class Engine:
    def __init__(self, root: str, **config: object) -> None:
        """Open (and recover) every index under ``root``; ``config`` overrides EngineConfig fields."""
        known = {f.name for f in fields(EngineConfig)}
        unknown = set(config) - known
        if unknown:
            raise TypeError(f"unknown engine settings: {sorted(unknown)}")
        self.cfg = EngineConfig(**config)  # type: ignore[arg-type]
        self.dd = DataDir(root)
        self._lock = threading.Lock()
        self._indexes: dict[str, IndexStore] = {}
        for d in self.dd.list():
            meta_key = f"{d}/index.json"
            if d.startswith("i") and self.dd.exists(meta_key):
                meta = msgspec.json.decode(self.dd.read_bytes(meta_key), type=_IndexMeta)
                self._indexes[meta.name] = self._open(meta)
            elif d.startswith("i"):
                self.dd.remove_tree(d)  # an index whose creation or drop was interrupted; nothing else is touched
        self._optimizer = Optimizer(self._all_namespaces, self.cfg)
        if self.cfg.background:
            self._optimizer.start()

    def _open(self, meta: _IndexMeta) -> IndexStore:
        return IndexStore(
            self.dd,
            _index_dir(meta.name),
            dimension=meta.dimension,
            metric=meta.metric,
            vector_type=meta.vector_type,
            cfg=self.cfg,
        )

    def _all_namespaces(self) -> list[NamespaceStore]:
        with self._lock:
            indexes = list(self._indexes.values())
        return [ns for ix in indexes for ns in ix.all_namespaces()]

    def create_index(self, name: str, dimension: int | None, metric: str, vector_type: str) -> IndexStore:
        if metric not in _METRICS:
            raise InvalidArgument(f"unknown metric {metric!r}")
        if vector_type == "dense":
            if not isinstance(dimension, int) or dimension < 1:
                raise InvalidArgument("a dense index needs a positive dimension")
        elif vector_type == "sparse":
            if dimension is not None:
                raise InvalidArgument("a sparse index has no dimension")
        else:
            raise InvalidArgument(f"unknown vector type {vector_type!r}")
        with self._lock:
            if name in self._indexes:
                raise AlreadyExists(f"index {name!r} already exists")
            meta = _IndexMeta(name, dimension, metric, vector_type)
            d = _index_dir(name)
            self.dd.remove_tree(d)
            self.dd.makedirs(d)
            self.dd.write_atomic(f"{d}/index.json", msgspec.json.encode(meta))
            ix = self._indexes[name] = self._open(meta)
            return ix

    def open_index(self, name: str) -> IndexStore:
        with self._lock:
            return self._indexes[name]

    def drop_index(self, name: str) -> None:
        with self._lock:
            ix = self._indexes.pop(name, None)
        if ix is not None:
            with self._optimizer.busy:  # not while an optimizer step works on one of its namespaces
                self.dd.remove(f"{_index_dir(name)}/index.json")  # the commit point: gone even if we crash now
                self.dd.sync_dir(_index_dir(name))
                ix.drop()
                self.dd.remove_tree(_index_dir(name))

    def optimize(self) -> None:
        """Build pending ANN indexes, merge and vacuum now, returning when nothing is left (tests, benchmarks)."""
        self._optimizer.run_until_idle()

    def close(self) -> None:
        self._optimizer.stop()
        with self._lock:
            indexes = list(self._indexes.values())
        for ix in indexes:
            ix.close()
