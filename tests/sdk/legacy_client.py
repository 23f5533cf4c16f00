"""Drives a Spruce server with an older official SDK (7.3.0 → API 2025-04, 8.1.2 → API 2025-10).

Run by test_legacy_sdks.py with the interpreter of a virtual environment that has that SDK; it is a script, not a
test module, because the old SDK cannot be imported beside SDK 10. Exits non-zero on the first failed check.
Usage: python legacy_client.py SERVER_URL
"""

from __future__ import annotations

import sys

import numpy as np
from pinecone import Pinecone, ServerlessSpec
from pinecone.exceptions import NotFoundException, PineconeApiException


def check(condition: bool, what: str) -> None:
    if not condition:
        raise SystemExit(f"FAILED: {what}")
    print(f"ok: {what}")


def main(url: str) -> None:
    import pinecone

    sdk_major = int(pinecone.__version__.split(".")[0])
    pc = Pinecone(api_key="legacy-key", host=url)
    spec = ServerlessSpec(cloud="aws", region="us-east-1")
    check(len(pc.list_indexes().names()) == 0, "no indexes at start")

    pc.create_index("legacy-dense", dimension=4, metric="euclidean", spec=spec, tags={"sdk": "old"})
    pc.create_index("legacy-sparse", vector_type="sparse", metric="dotproduct", spec=spec)
    described = pc.describe_index("legacy-dense")
    check(described.dimension == 4 and described.metric == "euclidean", "describe shows dimension and metric")
    check(described.spec.serverless.cloud == "aws", "describe shows the serverless spec")
    check(described.host.startswith(url), "host carries scheme and server address")
    check(sorted(pc.list_indexes().names()) == ["legacy-dense", "legacy-sparse"], "list shows both indexes")
    check(pc.describe_index("legacy-sparse").vector_type == "sparse", "sparse index type")

    pc.configure_index("legacy-dense", deletion_protection="enabled", tags={"more": "yes"})
    check(pc.describe_index("legacy-dense").deletion_protection == "enabled", "deletion protection enabled")
    try:
        pc.delete_index("legacy-dense")
        check(False, "delete of a protected index is refused")
    except PineconeApiException as exc:
        check(exc.status == 403, "delete of a protected index is refused with 403")
    pc.configure_index("legacy-dense", deletion_protection="disabled")

    index = pc.Index(host=described.host)
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(50, 4)).astype(np.float32)
    index.upsert(vectors=[
        {"id": f"v{i:02d}", "values": vectors[i].tolist(), "metadata": {"n": i, "even": i % 2 == 0}}
        for i in range(50)
    ], namespace="ns")
    check(index.describe_index_stats().namespaces["ns"].vector_count == 50, "stats count the upsert")
    query = rng.normal(size=4).astype(np.float32)
    distances = ((vectors - query) ** 2).sum(axis=1)
    expected = [f"v{i:02d}" for i in np.argsort(distances)[:5]]
    result = index.query(vector=query.tolist(), top_k=5, namespace="ns")
    check([m.id for m in result.matches] == expected, "euclidean query matches brute force")
    even = [i for i in np.argsort(distances) if i % 2 == 0][:3]
    filtered = index.query(vector=query.tolist(), top_k=3, namespace="ns", filter={"even": True},
                           include_metadata=True)
    check([m.id for m in filtered.matches] == [f"v{i:02d}" for i in even], "filtered query matches brute force")
    check(all(m.metadata["even"] for m in filtered.matches), "metadata returned")
    fetched = index.fetch(ids=["v03", "missing"], namespace="ns")
    check(list(fetched.vectors) == ["v03"], "fetch returns found ids only")
    check(np.allclose(fetched.vectors["v03"].values, vectors[3]), "fetch returns values")
    page = index.list_paginated(prefix="v1", limit=4, namespace="ns")
    check([v.id for v in page.vectors] == ["v10", "v11", "v12", "v13"], "list_paginated first page")
    check(sorted(i for ids in index.list(prefix="v1", namespace="ns") for i in ids) == [f"v1{d}" for d in range(10)],
          "list follows pagination")
    index.update(id="v03", set_metadata={"tag": "x"}, namespace="ns")
    check(index.fetch(ids=["v03"], namespace="ns").vectors["v03"].metadata["tag"] == "x", "update sets metadata")
    index.delete(ids=["v03"], namespace="ns")
    check(index.describe_index_stats().total_vector_count == 49, "delete by id")

    index.upsert(vectors=[("d1", [1.0, 0.0, 0.0, 0.0])])
    listed = {ns.name: int(ns.record_count) for ns in index.list_namespaces()}
    check(listed == {"ns": 49, "": 1}, f"list_namespaces counts records ({listed})")
    check(int(index.describe_namespace(namespace="ns").record_count) == 49, "describe_namespace")
    if sdk_major >= 8:  # update by filter arrived with API 2025-10
        odd = sum(1 for i in range(50) if i % 2 and i != 3)
        result = index.update(filter={"even": False}, set_metadata={"odd": True}, namespace="ns", dry_run=True)
        check(result.matched_records == odd, "update by filter, dry run, counts matches")
        index.update(filter={"even": False}, set_metadata={"odd": True}, namespace="ns")
        flagged = index.query(vector=query.tolist(), top_k=50, namespace="ns", filter={"odd": True})
        check(len(flagged.matches) == odd, "update by filter sets metadata")
    index.delete_namespace(namespace="ns")
    check("ns" not in index.describe_index_stats().namespaces, "delete_namespace")

    sparse = pc.Index(host=pc.describe_index("legacy-sparse").host)
    sparse.upsert(vectors=[{"id": "s1", "sparse_values": {"indices": [1, 5], "values": [0.5, 2.0]}},
                           {"id": "s2", "sparse_values": {"indices": [5, 9], "values": [1.0, 1.0]}}])
    sparse_result = sparse.query(sparse_vector={"indices": [5], "values": [1.0]}, top_k=2)
    check([m.id for m in sparse_result.matches] == ["s1", "s2"], "sparse dot product ranking")
    check(abs(sparse_result.matches[0].score - 2.0) < 1e-6, "sparse score")

    pc.delete_index("legacy-dense")
    try:
        pc.describe_index("legacy-dense")
        check(False, "deleted index is gone")
    except NotFoundException:
        check(True, "deleted index is gone (404)")
    print("ALL OK")


if __name__ == "__main__":
    main(sys.argv[1])
