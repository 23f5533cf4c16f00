"""One module per system; each exposes ``run(params, workdir) -> dict`` (see compare.worker for the fields)."""

SYSTEMS = ("limit", "spruce", "lancedb", "chroma", "milvus", "faiss")
