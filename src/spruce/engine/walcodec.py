"""What a WAL record holds: an upsert batch or a delete batch, as msgpack (vectors as raw bytes)."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec
import numpy as np

from spruce.engine.records import Record

_enc = msgspec.msgpack.Encoder()
_dec = msgspec.msgpack.Decoder()


def _b(a: np.ndarray | None, dtype: type) -> bytes | None:
    return None if a is None else np.ascontiguousarray(a, dtype=dtype).tobytes()


def encode_upsert(records: Sequence[Record]) -> bytes:
    return _enc.encode(
        (
            "u",
            [
                (
                    r.id,
                    _b(r.values, np.float32),
                    _b(r.sparse_indices, np.uint32),
                    _b(r.sparse_values, np.float32),
                    r.metadata,
                )
                for r in records
            ],
        )
    )


def encode_delete(ids: Sequence[str]) -> bytes:
    return _enc.encode(("d", list(ids)))


def decode(payload: bytes) -> tuple[str, list[Record] | list[str]]:
    op, body = _dec.decode(payload)
    if op == "d":
        return op, body
    recs = [
        Record(
            rid,
            None if v is None else np.frombuffer(v, np.float32),
            None if si is None else np.frombuffer(si, np.uint32),
            None if sv is None else np.frombuffer(sv, np.float32),
            md,
        )
        for rid, v, si, sv, md in body
    ]
    return op, recs
