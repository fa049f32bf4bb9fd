"""Build the ASGI app: ``create_app(settings)``; nothing happens at import time."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.staticfiles import StaticFiles

from .. import services
from ..settings import Settings, load_settings
from . import api, models, pages, problems
from .live import Broker

HERE = Path(__file__).parent


def create_app(settings: Settings | None = None, store=None) -> FastAPI:
    settings = settings or load_settings()
    store = store or services.open_store(settings.database_url)
    broker = Broker(store, settings.live_poll_seconds, settings.sse_queue_size)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        task = asyncio.create_task(broker.watch())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app = FastAPI(title="escrutinio", version="1", lifespan=lifespan,
                  description="Results of the election: bulletins at every area, tables and their actas, "
                              "live events, and acta intake. Every page of the site has a JSON twin here.",
                  docs_url="/api/docs", redoc_url=None, openapi_url="/api/v1/openapi.json")
    app.state.settings = settings
    app.state.store = store
    app.state.broker = broker
    app.state.pages = pages.Pages(store, settings)
    problems.install(app)
    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.openapi = lambda: _openapi(app)
    return app


def _openapi(app: FastAPI) -> dict:
    if app.openapi_schema is None:
        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in (models.OutcomeOut, models.BatchOut, models.ProblemItem, models.ActaIn, models.ActaBatch):
            extra = model.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(extra.pop("$defs", {}))
            components[model.__name__] = extra
        app.openapi_schema = schema
    return app.openapi_schema
