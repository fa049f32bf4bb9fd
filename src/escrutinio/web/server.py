"""Run the site with uvicorn."""

from __future__ import annotations

import asyncio
import contextlib
import sys

import uvicorn

from ..settings import Settings
from .app import create_app
from .live import Broker

SHUTDOWN_SECONDS = 5  # then requests still running are cancelled
STARTUP_FAILURE = 3  # uvicorn's exit status when it cannot start (say, the port is taken)


class _Server(uvicorn.Server):
    """Ends the live event streams when asked to stop.

    Open pages hold /api/v1/events for as long as they are shown, and uvicorn
    waits for every request to finish before it stops: without this, Ctrl-C
    would wait for every reader to close their browser.
    """

    def __init__(self, config: uvicorn.Config, *brokers: Broker):
        super().__init__(config)
        self.brokers = brokers

    def handle_exit(self, sig, frame) -> None:
        super().handle_exit(sig, frame)
        with contextlib.suppress(RuntimeError):  # no event loop running: no stream to end
            for broker in self.brokers:
                asyncio.get_running_loop().call_soon_threadsafe(broker.close)


def forwarding(settings: Settings) -> dict:
    """uvicorn's options for X-Forwarded-For: believed only from the proxies the settings name.

    uvicorn's own default believes it from 127.0.0.1, so anyone on the machine (or a proxy that passes the
    header on unchecked) could pick their address and so their rate-limit bucket."""
    proxies = [p.strip() for p in settings.trusted_proxies.split(",") if p.strip()]
    return {"proxy_headers": bool(proxies), "forwarded_allow_ips": proxies or None}


def run(settings: Settings, store=None) -> None:
    app = create_app(settings, store)
    config = uvicorn.Config(app, host=settings.host, port=settings.port, log_level="warning",
                            timeout_graceful_shutdown=SHUTDOWN_SECONDS, **forwarding(settings))
    server = _Server(config, app.state.broker, app.state.timeline)
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    if not server.started:
        sys.exit(STARTUP_FAILURE)
