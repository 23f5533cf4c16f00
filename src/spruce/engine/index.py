"""An index: its fixed parameters and its namespaces (directory names are hex so any string is a safe name)."""

from __future__ import annotations

import hashlib
import threading

from spruce.engine.config import EngineConfig
from spruce.engine.namespace import NamespaceStore
from spruce.storage.datadir import DataDir


def ns_dirname(name: str) -> str:
    """Hex keeps any string filesystem-safe; names too long for a file name are hashed (and kept in NAME)."""
    raw = name.encode()
    return "n" + raw.hex() if len(raw) <= 100 else "h" + hashlib.sha256(raw).hexdigest()


class IndexStore:
    def __init__(
        self, dd: DataDir, index_dir: str, *, dimension: int | None, metric: str, vector_type: str, cfg: EngineConfig
    ) -> None:
        self.dd, self.dir, self.cfg = dd, index_dir, cfg
        self.dimension, self.metric, self.vector_type = dimension, metric, vector_type
        self._lock = threading.Lock()
        self._ns: dict[str, NamespaceStore] = {}
        dd.makedirs(f"{index_dir}/ns")
        for d in dd.list(f"{index_dir}/ns"):
            if d.startswith("n"):
                name = bytes.fromhex(d[1:]).decode()
            elif d.startswith("h") and dd.exists(f"{index_dir}/ns/{d}/NAME"):
                name = dd.read_bytes(f"{index_dir}/ns/{d}/NAME").decode()
            else:
                dd.remove_tree(f"{index_dir}/ns/{d}")
                continue
            try:
                self._ns[name] = self._open(name, create=False)
            except KeyError:
                dd.remove_tree(f"{index_dir}/ns/{d}")  # a namespace whose drop or create was interrupted

    def _open(self, name: str, create: bool) -> NamespaceStore:
        d = ns_dirname(name)
        if create and d.startswith("h"):
            self.dd.makedirs(f"{self.dir}/ns/{d}")
            self.dd.write_atomic(f"{self.dir}/ns/{d}/NAME", name.encode())
        return NamespaceStore(
            self.dd,
            f"{self.dir}/ns/{d}",
            name,
            dimension=self.dimension,
            metric=self.metric,
            cfg=self.cfg,
            create=create,
        )

    def namespaces(self) -> dict[str, int]:
        with self._lock:
            stores = dict(self._ns)
        return {name: ns.count() for name, ns in stores.items()}

    def namespace(self, name: str) -> NamespaceStore | None:
        return self._ns.get(name)

    def all_namespaces(self) -> list[NamespaceStore]:
        with self._lock:
            return list(self._ns.values())

    def create_namespace(self, name: str) -> NamespaceStore:
        with self._lock:
            ns = self._ns.get(name)
            if ns is None:
                ns = self._ns[name] = self._open(name, create=True)
            return ns

    def drop_namespace(self, name: str) -> None:
        with self._lock:
            ns = self._ns.pop(name, None)
        if ns is not None:
            ns.drop()

    def close(self) -> None:
        for ns in self.all_namespaces():
            ns.close()

    def drop(self) -> None:
        with self._lock:
            stores, self._ns = list(self._ns.values()), {}
        for ns in stores:
            ns.drop()
