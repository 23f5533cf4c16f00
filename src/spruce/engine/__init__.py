"""Per-namespace storage and search. See docs/ENGINE_INTERFACE.md."""

from spruce.engine.config import EngineConfig
from spruce.engine.engine import Engine
from spruce.engine.filters import Filter, parse_filter
from spruce.engine.index import IndexStore
from spruce.engine.namespace import NamespaceStore
from spruce.engine.records import BulkBatch, Match, Record

__all__ = [
    "BulkBatch",
    "Engine",
    "EngineConfig",
    "Filter",
    "IndexStore",
    "Match",
    "NamespaceStore",
    "Record",
    "parse_filter",
]
