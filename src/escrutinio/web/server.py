"""Run the site with uvicorn."""

from __future__ import annotations

import uvicorn

from ..settings import Settings
from .app import create_app


def run(settings: Settings, store=None) -> None:
    uvicorn.run(create_app(settings, store), host=settings.host, port=settings.port, log_level="warning")
