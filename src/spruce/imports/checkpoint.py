"""Per-namespace import checkpoints, stored by the engine atomically with each bulk write.

Because the checkpoint commits together with the rows it describes, after any crash the namespace holds
exactly the rows the checkpoint counts: resuming after it neither loses nor duplicates a record.
"""

from __future__ import annotations

import msgspec


class Checkpoint(msgspec.Struct, frozen=True, forbid_unknown_fields=False):
    file: int  # index of the next file to read, in the namespace's sorted file list
    path: str  # that file's path ("" once every file is read): guards against the listing changing
    row: int  # rows of that file already consumed
    imported: int  # rows this import wrote into the namespace
    skipped: int  # rows it refused
    replaced: int = 0  # rows dropped because a later row of the same batch had the same id


def checkpoint_key(import_id: str) -> str:
    return f"import:{import_id}"


def encode(checkpoint: Checkpoint) -> bytes:
    return msgspec.json.encode(checkpoint)


def decode(raw: bytes) -> Checkpoint:
    return msgspec.json.decode(raw, type=Checkpoint)
