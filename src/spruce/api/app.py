"""The ASGI application: services opened at start-up, routes of both planes, auth, error mapping."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import JSONResponse
from starlette.routing import Route

from spruce.api import bulk, control, data
from spruce.api.auth import ApiKeyMiddleware
from spruce.api.console import console_route
from spruce.api.errors import handle_spruce_error, handle_unexpected_error
from spruce.api.metrics import LatencyMiddleware, Metrics, metrics_route
from spruce.api.openapi import openapi_routes
from spruce.catalog import Catalog
from spruce.config import Settings
from spruce.engine import Engine
from spruce.errors import SpruceError
from spruce.imports import ImportRunner
from spruce.service.imports import ImportService
from spruce.service.indexes import IndexService

log = logging.getLogger("spruce")


@dataclass(slots=True)
class Services:
    settings: Settings
    catalog: Catalog
    engine: Engine
    runner: ImportRunner
    indexes: IndexService
    imports: ImportService

    @classmethod
    def open(cls, settings: Settings) -> Services:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        catalog = Catalog(settings.catalog_path)
        engine = Engine(str(settings.index_root))
        runner = ImportRunner(catalog, engine, settings)
        indexes = IndexService(catalog, engine, runner)
        indexes.reconcile()
        runner.start()  # resumes imports a previous run left unfinished
        return cls(settings, catalog, engine, runner, indexes, ImportService(catalog, runner, settings))

    def close(self) -> None:
        self.runner.stop()
        self.engine.close()
        self.catalog.close()


async def healthz(_request: object) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def create_app(settings: Settings) -> Starlette:
    api_routes = [*control.routes, *data.routes, *bulk.routes]
    metrics = Metrics(lambda: getattr(app.state, "services", None))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.services = Services.open(settings)
        log.info("spruce ready: data dir %s, %s", settings.data_dir, settings.public_url)
        try:
            yield
        finally:
            app.state.services.close()

    app = Starlette(
        routes=[*api_routes, *openapi_routes(api_routes), Route("/healthz", healthz, methods=["GET"]),
                metrics_route(metrics), console_route()],
        middleware=[Middleware(ApiKeyMiddleware, keys=settings.api_keys),
                    Middleware(LatencyMiddleware, metrics=metrics)],
        exception_handlers={SpruceError: handle_spruce_error, Exception: handle_unexpected_error},
        lifespan=lifespan,
    )
    return app
