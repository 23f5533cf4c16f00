"""Side-by-side benchmark of Spruce against peer vector databases and the physical limit (issue 5).

Entry point: ``python bench/run_compare.py``. Each system runs in its own subprocess (``compare.worker``) so its
peak memory is measured on its own; the orchestrator samples that process tree and writes the table.
"""
