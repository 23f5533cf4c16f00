from __future__ import annotations

from pathlib import Path

import numpy as np

from spruce.engine import Engine, Record, parse_filter


def test_list_ids_utf8_byte_order_prefix_and_pages(tmp_path: Path) -> None:
    e = Engine(str(tmp_path), background=False, flush_rows=3)
    ns = e.create_index("ix", 2, "cosine", "dense").create_namespace("")
    ids = ["b", "a", "\uffff", "😀", "é", "Z", "a1", "a10", "a2", "ab", ""[:0] + "0"]
    for i in ids:  # several flushes: ids spread over segments and the memtable
        ns.upsert([Record(i, np.ones(2, np.float32), metadata=b'{"k": %d}' % len(i.encode()))])
    want = sorted(ids, key=lambda s: s.encode())
    assert want.index("\uffff") < want.index("😀")  # UTF-8 byte order, not UTF-16
    assert ns.list_ids("", 100, None) == (want, None)
    page, token = ns.list_ids("", 4, None)
    assert page == want[:4] and token == want[3]
    page, token = ns.list_ids("", 4, token)
    assert page == want[4:8]
    assert ns.list_ids("a", 100, None) == (["a", "a1", "a10", "a2", "ab"], None)
    assert ns.list_ids("a", 2, "a1") == (["a10", "a2"], "a2")
    assert ns.list_ids("a", 2, "a2") == (["ab"], None)
    ns.delete(["a10"])
    assert ns.list_ids("a1", 10, None) == (["a1"], None)

    flt = parse_filter({"k": {"$gte": 2}})
    recs, token = ns.find(flt, 1, None)
    got = [r.id for r in recs]
    while token is not None:
        recs, token = ns.find(flt, 1, token)
        got += [r.id for r in recs]
    assert got == [i for i in want if len(i.encode()) >= 2 and i != "a10"]
    e.close()
