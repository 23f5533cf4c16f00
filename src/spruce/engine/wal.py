"""Write-ahead log with group commit.

Frame: u32 payload length, u32 crc32(payload), payload. Recovery keeps the longest valid prefix and truncates a
torn tail. Writers append while holding the namespace lock (so log order = apply order), then call
``sync_to(lsn)`` without it: the first waiter becomes the leader and fsyncs for everyone written so far, the
others wait for that fsync instead of issuing their own (one fsync per group, not per writer).
"""

from __future__ import annotations

import struct
import threading
import zlib
from collections.abc import Iterator

from spruce.storage.datadir import AppendHandle, DataDir

_HEADER = struct.Struct("<II")


def read_frames(data: bytes) -> tuple[list[bytes], int]:
    """Valid payloads and the byte length of the valid prefix."""
    out: list[bytes] = []
    pos = 0
    end = len(data)
    while pos + _HEADER.size <= end:
        length, crc = _HEADER.unpack_from(data, pos)
        start = pos + _HEADER.size
        if start + length > end:
            break
        payload = data[start : start + length]
        if zlib.crc32(payload) != crc:
            break
        out.append(payload)
        pos = start + length
    return out, pos


class Wal:
    def __init__(self, datadir: DataDir, key: str) -> None:
        self._dd = datadir
        self.key = key
        self._fh: AppendHandle = datadir.open_append(key)
        self._cond = threading.Condition(threading.Lock())
        self._written = 0  # LSN of the last appended frame (monotonic across rotations)
        self._synced = 0
        self._syncing = False
        self.bytes = self._fh.size()

    @staticmethod
    def recover(datadir: DataDir, key: str) -> Iterator[bytes]:
        """Payloads of a log file; cuts a torn or corrupt tail off the file so appends continue cleanly."""
        if not datadir.exists(key):
            return iter(())
        data = datadir.read_bytes(key)
        frames, valid = read_frames(data)
        if valid < len(data):
            fh = datadir.open_append(key)
            try:
                fh.truncate(valid)
            finally:
                fh.close()
        return iter(frames)

    def append(self, payload: bytes) -> int:
        frame = _HEADER.pack(len(payload), zlib.crc32(payload)) + payload
        with self._cond:
            self._fh.write(frame)
            self.bytes += len(frame)
            self._written += 1
            return self._written

    def sync_to(self, lsn: int) -> None:
        with self._cond:
            while self._synced < lsn:
                if self._syncing:
                    self._cond.wait()
                    continue
                self._syncing = True
                target, fh = self._written, self._fh
                self._cond.release()
                try:
                    fh.sync()
                finally:
                    self._cond.acquire()
                    self._syncing = False
                    self._cond.notify_all()
                self._synced = max(self._synced, target)

    def rotate(self, new_key: str) -> str:
        """Make everything durable, then continue in a fresh file; returns the old file's key."""
        with self._cond:
            while self._syncing:
                self._cond.wait()
            self._fh.sync()
            self._fh.close()
            old, self.key = self.key, new_key
            self._fh = self._dd.open_append(new_key)
            self.bytes = 0
            self._synced = self._written
            self._cond.notify_all()
            return old

    def close(self) -> None:
        with self._cond:
            while self._syncing:
                self._cond.wait()
            self._fh.sync()
            self._synced = self._written
            self._fh.close()
