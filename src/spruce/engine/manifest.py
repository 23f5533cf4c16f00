"""The namespace manifest: the single commit point. Whatever it names is the namespace; anything else in the
directory is an orphan of an interrupted operation and is removed on load."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

import msgspec

from spruce.storage.datadir import DataDir

MANIFEST = "MANIFEST"


class SegmentEntry(msgspec.Struct):
    no: int
    rows: int
    deletions: str | None = None  # file holding the packed deletion bitmap, if any row is deleted


class Manifest(msgspec.Struct):
    version: int = 0
    next_seg: int = 1
    wal_gen: int = 1
    segments: list[SegmentEntry] = msgspec.field(default_factory=list)
    checkpoints: dict[str, str] = msgspec.field(default_factory=dict)  # key -> base64 bytes


@dataclass(slots=True)
class ManifestStore:
    dd: DataDir
    ns_dir: str
    current: Manifest = field(default_factory=Manifest)

    @property
    def key(self) -> str:
        return f"{self.ns_dir}/{MANIFEST}"

    def load(self) -> bool:
        if not self.dd.exists(self.key):
            return False
        self.current = msgspec.json.decode(self.dd.read_bytes(self.key), type=Manifest)
        return True

    def commit(self, m: Manifest) -> None:
        """Atomic replace (tmp + fsync + rename + dir fsync): the new state is all-or-nothing."""
        m.version = self.current.version + 1
        self.dd.write_atomic(self.key, msgspec.json.encode(m))
        self.current = m

    def checkpoint(self, key: str) -> bytes | None:
        v = self.current.checkpoints.get(key)
        return None if v is None else base64.b64decode(v)


def encode_checkpoint(data: bytes) -> str:
    return base64.b64encode(data).decode()
