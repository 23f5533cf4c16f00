"""Spruce: a self-hosted vector database that speaks Pinecone's REST API, with server-side bulk import."""

__version__ = "0.1.0"
