"""The OpenAPI description, generated from the route table and the msgspec wire structs (one source of truth)."""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from spruce import __version__
from spruce.api import bulk, wire
from spruce.api.index_wire import Configure, LegacyCreate, SchemaCreate

# Request body (or bodies, one per API version shape) of each operation, by the name of its handler.
_BODIES: dict[str, tuple[type, ...]] = {
    "create_index": (LegacyCreate, SchemaCreate),
    "configure_index": (Configure,),
    "upsert": (wire.UpsertRequest,),
    "query": (wire.QueryRequest,),
    "delete": (wire.DeleteRequest,),
    "update": (wire.UpdateRequest,),
    "describe_index_stats": (wire.StatsRequest,),
    "fetch_by_metadata": (wire.FetchByMetadataRequest,),
    "create_namespace": (wire.CreateNamespaceRequest,),
    "start_import": (wire.StartImportRequest,),
    "validate_import_source": (bulk.ValidateImportRequest,),
}


def build_openapi(routes: list[Route]) -> dict[str, Any]:
    types = [t for bodies in _BODIES.values() for t in bodies]
    schemas, components = msgspec.json.schema_components(types, ref_template="#/components/schemas/{name}")
    by_type = dict(zip(types, schemas, strict=True))
    body_schema = {
        name: by_type[bodies[0]] if len(bodies) == 1 else {"oneOf": [by_type[t] for t in bodies]}
        for name, bodies in _BODIES.items()
    }
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        name = route.endpoint.__name__
        for method in sorted((route.methods or set()) - {"HEAD"}):
            operation: dict[str, Any] = {
                "operationId": name,
                "summary": (route.endpoint.__doc__ or name).strip(),
                "parameters": [{"name": "X-Pinecone-Api-Version", "in": "header", "required": False,
                                "schema": {"type": "string", "enum": ["2025-04", "2025-10", "2026-07"]}}],
                "responses": {"200": {"description": "Success"},
                              "400": {"description": "Invalid argument"},
                              "401": {"description": "Missing or wrong Api-Key"},
                              "404": {"description": "Not found"}},
            }
            if name in body_schema:
                operation["requestBody"] = {"content": {"application/json": {"schema": body_schema[name]}}}
            paths.setdefault(route.path, {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "Spruce", "version": __version__,
                 "description": "Pinecone-compatible vector database with server-side bulk import."},
        "paths": paths,
        "components": {"schemas": components,
                       "securitySchemes": {"ApiKey": {"type": "apiKey", "in": "header", "name": "Api-Key"}}},
        "security": [{"ApiKey": []}],
    }


_DOCS_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Spruce API</title>
<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto}code{background:#eee;padding:0 .2rem}</style>
</head><body><h1>Spruce API</h1><p>The machine-readable description is at <a href="/openapi.json">/openapi.json</a>.</p>
<ul id="ops"></ul><script>
fetch('/openapi.json').then(r=>r.json()).then(spec=>{const ul=document.getElementById('ops');
for(const [path,ops] of Object.entries(spec.paths)){for(const [m,op] of Object.entries(ops)){
const li=document.createElement('li');li.innerHTML='<code>'+m.toUpperCase()+' '+path+'</code> '+op.summary;
ul.appendChild(li);}}});
</script></body></html>"""


def openapi_routes(all_routes: list[Route]) -> list[Route]:
    document = msgspec.json.encode(build_openapi(all_routes))

    async def openapi_json(_request: Any) -> Response:
        return Response(document, media_type="application/json")

    async def docs(_request: Any) -> Response:
        return HTMLResponse(_DOCS_PAGE)

    return [Route("/openapi.json", openapi_json, methods=["GET"]), Route("/docs", docs, methods=["GET"])]
