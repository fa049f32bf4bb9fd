"""Serving the site, and the demo night."""

from __future__ import annotations

import threading
import webbrowser

import click

from .. import services
from ..domain.errors import AlreadyInitialised
from ..settings import load_settings
from .base import db_option, main, open_db


@main.command()
@click.option("--serve/--no-serve", default=True,
              help="--no-serve replays the whole night at once and exits (for scripts and tests); otherwise "
                   "the site is served while the night is replayed at --speed.")
@click.option("--speed", default=None, metavar="N|max",
              help="Night seconds per real second; 'max' replays as fast as it can. "
                   "Default: 900 while serving, max with --no-serve.")
@click.option("--replace", is_flag=True, help="Empty the database first if it already holds an election.")
@click.option("--host", default=None, help="Address to serve on (default: setting host, 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port to serve on (default: setting port, 8000).")
@click.option("--open/--no-open", "open_browser", default=True, help="Open the site in a browser, if there is one.")
@db_option
def demo(serve: bool, speed: str | None, replace: bool, host: str | None, port: int | None, open_browser: bool,
         db_url: str) -> None:
    """Replay the demo night of Venezuela's referendum of 2 December 2007.

    A synthetic election with the 24 federal entities, about 33,000 tables
    and two contests; its bulletin 1, cut at 01:07 on 3 December, shows the
    figures of the CNE's first bulletin. Later bulletins go on to every table.
    While serving, the site updates live as each bulletin is published.
    """
    store = services.open_store(db_url, migrate=False)
    if replace:
        store.reset()
    elif store.has_election():
        raise AlreadyInitialised(f"{db_url} already holds an election: run `escrutinio demo --replace` to replay "
                                 "the night from the start, or give another --db")
    store.migrate()
    pace = None if (speed or ("900" if serve else "max")) == "max" else float(speed or 900)
    click.echo(f"Replaying the night of 2 December 2007 into {db_url} "
               f"({'as fast as possible' if pace is None else f'{pace:g}× real time'}).")
    if not serve:
        _replay(store, pace)
        return
    settings = load_settings(database_url=db_url, host=host, port=port)
    address = f"http://{settings.host}:{settings.port}"
    click.echo(f"Serving the results at {address} — open it in a browser (Ctrl-C to stop).")
    night = threading.Thread(target=_replay, args=(store, pace), daemon=True)
    night.start()
    if open_browser:
        threading.Timer(1.5, webbrowser.open, args=(address,)).start()
    from ..web.server import run

    run(settings, services.open_store(db_url, migrate=False))


def _replay(store, pace: float | None) -> None:
    def announce(published) -> None:
        area = published.root
        t = next(iter(area["results"].values()))["tables"]
        click.echo(f"Bulletin {published.number} at {published.body['cut_off_local'][:16]}: "
                   f"{t['counted']:,} of {t['expected']:,} tables counted")

    report = services.run_demo(store, speed=pace, on_bulletin=announce)
    counts = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in sorted(report.outcomes.items()))
    click.echo(f"Night replayed: {counts}; {report.resolutions} conflicts resolved; "
               f"{len(report.bulletins)} bulletins. Try: escrutinio bulletin show 1")


@main.command()
@click.option("--host", default=None, help="Address to listen on (default: setting host, 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port to listen on (default: setting port, 8000).")
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Processes answering requests (default: setting workers, 1).")
@db_option
def serve(host: str | None, port: int | None, workers: int | None, db_url: str) -> None:
    """Serve the public website and the JSON API (/api/v1, described at /api/docs)."""
    settings = load_settings(database_url=db_url, host=host, port=port, workers=workers)
    store = services.open_store(db_url, writable=True)  # refuse to start on a store that cannot take actas
    store.election()
    click.echo(f"Serving {store.election().name!r} at http://{settings.host}:{settings.port} (Ctrl-C to stop).")
    from ..web.server import run

    run(settings, store)

