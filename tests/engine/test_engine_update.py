from __future__ import annotations

from pathlib import Path

import msgspec
import numpy as np
import pytest

from spruce.engine import Engine, Record, parse_filter
from spruce.errors import InvalidArgument


def test_update_refuses_merged_metadata_over_the_limit_and_changes_nothing(tmp_path: Path) -> None:
    engine = Engine(str(tmp_path), background=False)
    ns = engine.create_index("ix", 2, "cosine", "dense").create_namespace("")
    original = msgspec.json.encode({"big": "a" * 30_000, "kind": "x"})
    ns.upsert([Record("r1", np.ones(2, np.float32), metadata=original),
               Record("r2", np.ones(2, np.float32), metadata=original)])
    too_much = {"more": "b" * 15_000}  # under 40 KB alone, over it once merged

    with pytest.raises(InvalidArgument, match="40960 bytes"):
        ns.update("r1", set_metadata=too_much)
    with pytest.raises(InvalidArgument, match="40960 bytes"):
        ns.update_where(parse_filter({"kind": "x"}), too_much, dry_run=False)
    assert [r.metadata for r in ns.fetch(["r1", "r2"])] == [original, original]

    assert ns.update("r1", set_metadata={"kind": "y"})
    assert msgspec.json.decode(ns.fetch(["r1"])[0].metadata)["kind"] == "y"
    engine.close()
