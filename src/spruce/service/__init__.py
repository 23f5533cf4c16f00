"""The operations behind the HTTP edge: indexes, vectors, imports. Validation lives here, wire shapes do not."""
