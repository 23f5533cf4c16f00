"""The data directory: every byte the engine persists goes through this class.

Paths are relative, ``/``-separated keys under one root, so the same calls can later be served by an
object store (write_atomic = PUT, append handles = a log service or multipart upload).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa


class AppendHandle:
    """An append-only file: ``write`` goes to the OS, ``sync`` makes everything written so far durable."""

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self._closed = False
        self._lock = threading.Lock()

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            n = os.write(self._fd, view)
            view = view[n:]

    def sync(self) -> None:
        # fdatasync is enough: the file's size is data, and a torn tail is detected by the log's checksums.
        os.fdatasync(self._fd)

    def size(self) -> int:
        return os.fstat(self._fd).st_size

    def truncate(self, size: int) -> None:
        os.ftruncate(self._fd, size)
        os.fsync(self._fd)

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                os.close(self._fd)


class DataDir:
    """A local directory addressed by relative keys."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _p(self, key: str) -> Path:
        return self.root / key if key else self.root

    def exists(self, key: str) -> bool:
        return self._p(key).exists()

    def read_bytes(self, key: str) -> bytes:
        return self._p(key).read_bytes()

    def read_buffer(self, key: str) -> pa.Buffer:
        """Zero-copy view of a file (memory-mapped locally): big immutable segment files stay in the page cache."""
        return pa.memory_map(str(self._p(key)), "r").read_buffer()

    def local_path(self, key: str) -> str | None:
        """A filesystem path native readers (faiss) may open directly; None when the data dir is not local."""
        return str(self._p(key))

    def write_atomic(self, key: str, data: bytes | memoryview | pa.Buffer, *, sync_dir: bool = True) -> None:
        """Readers see the old file or the new one, never a torn one, and the new one survives a crash.

        ``sync_dir=False`` leaves the directory entry to a later ``sync_dir`` of its directory: writers of several
        files that a manifest commit will name (segment files) pay one directory fsync instead of one each.
        """

        def write(tmp: str) -> None:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            try:
                view = memoryview(data)
                while view:
                    n = os.write(fd, view)
                    view = view[n:]
            finally:
                os.close(fd)

        self.write_atomic_with(key, write, sync_dir=sync_dir)

    def write_atomic_with(self, key: str, produce: Callable[[str], None], *, sync_dir: bool = True) -> None:
        """Like ``write_atomic``, but ``produce(path)`` writes the file itself (Arrow, faiss): no whole-file
        copy in memory first (a 200k x 768 segment or HNSW index is ~600 MB)."""
        path = self._p(key)
        tmp = path.with_name(f".{path.name}.tmp")
        produce(str(tmp))
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)  # any descriptor of the file flushes all of its dirty pages
        finally:
            os.close(fd)
        os.replace(tmp, path)
        if sync_dir:
            self._sync_dir(path.parent)

    def open_append(self, key: str) -> AppendHandle:
        path = self._p(key)
        existed = path.exists()
        handle = AppendHandle(path)
        if not existed:
            self._sync_dir(path.parent)
        return handle

    def list(self, key: str = "") -> list[str]:
        """Names directly under ``key`` (files and directories), sorted; [] if it does not exist."""
        path = self._p(key)
        if not path.is_dir():
            return []
        return sorted(p.name for p in path.iterdir())

    def remove(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._p(key).unlink()

    def remove_tree(self, key: str) -> None:
        shutil.rmtree(self._p(key), ignore_errors=True)

    def makedirs(self, key: str) -> None:
        path = self._p(key)
        if not path.is_dir():
            path.mkdir(parents=True, exist_ok=True)
            self._sync_dir(path.parent)

    def sync_dir(self, key: str) -> None:
        self._sync_dir(self._p(key))

    @staticmethod
    def _sync_dir(path: Path) -> None:
        # A rename or a new file is only durable once its directory entry is.
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
