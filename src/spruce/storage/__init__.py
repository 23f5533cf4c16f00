"""Storage access: import URIs (+ integrations) to pyarrow filesystems."""

from spruce.storage.sources import (
    Source,
    SourceLocation,
    open_source,
    parse_import_uri,
    validate_import_request,
)

__all__ = ["Source", "SourceLocation", "open_source", "parse_import_uri", "validate_import_request"]
