"""Run the site with uvicorn."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys

import uvicorn

from ..settings import Settings
from .app import create_app
from .live import Broker

SHUTDOWN_SECONDS = 5  # then requests still running are cancelled
STARTUP_FAILURE = 3  # uvicorn's exit status when it cannot start (say, the port is taken)
# uvicorn's supervisor kills a worker that does not answer its ping within this. Its default, 5 s, killed
# workers that were only busy: at 1M tables one C call (a sort while the search index is built) holds the
# interpreter for a second of CPU, several seconds of wall time on a loaded machine.
HEALTHCHECK_SECONDS = 60


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
    if settings.workers > 1:
        return _run_workers(settings)
    app = create_app(settings, store)
    config = uvicorn.Config(app, host=settings.host, port=settings.port, log_level="warning",
                            timeout_graceful_shutdown=SHUTDOWN_SECONDS, timeout_worker_healthcheck=HEALTHCHECK_SECONDS,
                            **forwarding(settings))
    server = _Server(config, app.state.broker, app.state.timeline)
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    if not server.started:
        sys.exit(STARTUP_FAILURE)


def _run_workers(settings: Settings) -> None:
    """Several processes on one socket (uvicorn's supervisor): each builds its own app from the same settings,
    passed on in the environment. Each keeps its own rendered pages, live streams and rate-limit counts."""
    from ..settings import SETTINGS

    for setting in SETTINGS:
        os.environ[setting.env] = str(settings[setting.name])
    config = uvicorn.Config("escrutinio.web.app:create_app", factory=True, host=settings.host, port=settings.port,
                            workers=settings.workers, log_level="warning",
                            timeout_graceful_shutdown=SHUTDOWN_SECONDS, timeout_worker_healthcheck=HEALTHCHECK_SECONDS,
                            **forwarding(settings))
    sock = config.bind_socket()
    with contextlib.suppress(KeyboardInterrupt):
        from uvicorn.supervisors import Multiprocess

        Multiprocess(config, sockets=[sock]).run()
