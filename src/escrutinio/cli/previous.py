"""The previous election: load it, show what matched, compare a bulletin with it, estimate transfers."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .. import services
from ..publish.text import render_comparison, render_transfer
from .base import db_option, main, open_db


@main.group()
def previous() -> None:
    """An earlier election on the same geography: swing and where the votes went."""


@previous.command("load")
@click.argument("results")
@click.option("--mapping", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="The mapping file (TOML): its name, options, tonight's options mapped to them, and code "
                   "changes (docs/formats/previous.md).")
@db_option
def previous_load(results: str, mapping: Path, db_url: str) -> None:
    """Load the previous election from RESULTS, replacing any loaded before: a CSV per table or per area
    (docs/formats/previous.md), or another escrutinio store (a SQLite file, or a database URL), whose
    counted actas of one contest are read per table."""
    store = open_db(db_url)
    if _is_store(results):
        url = results if "://" in results else f"sqlite:///{Path(results).resolve()}"
        loaded = services.comparison.load_previous_store(store, url, mapping)
    else:
        loaded = services.comparison.load_previous(store, Path(results), mapping)
    totals = loaded.totals()
    click.echo(f"Loaded {loaded.name}: {len(loaded.units):,} {loaded.unit} units, {totals[1]:,} ballots cast "
               f"of {totals[0]:,} registered.")
    _unmatched(loaded.unmatched, loaded.split)


def _is_store(results: str) -> bool:
    """A database URL, or a file that is a SQLite database (its first bytes say so)."""
    if results.startswith(("sqlite:", "postgresql:", "postgresql+")):
        return True
    try:
        with open(results, "rb") as handle:
            return handle.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def _unmatched(unmatched: tuple[dict, ...], split: tuple[str, ...]) -> None:
    if split:
        click.echo(f"Split (compared only above them): {', '.join(split)}")
    if unmatched:
        click.echo(f"Not matched ({len(unmatched)}):")
        for item in unmatched[:50]:
            click.echo(f"  {item['code']}: {item['reason']}")
        if len(unmatched) > 50:
            click.echo(f"  … and {len(unmatched) - 50} more (escrutinio previous show --json)")


@previous.command("show")
@click.option("--json", "as_json", is_flag=True, help="The whole record, every unmatched code included.")
@db_option
def previous_show(as_json: bool, db_url: str) -> None:
    """Show the loaded previous election: its options, mapping and what could not be matched."""
    loaded = services.comparison.get_previous(open_db(db_url))
    if loaded is None:
        raise click.ClickException("no previous election loaded (escrutinio previous load FILE --mapping FILE)")
    totals = loaded.totals()
    record = {"name": loaded.name, "date": loaded.date, "unit": loaded.unit, "units": len(loaded.units),
              "options": dict(loaded.options), "mapping": loaded.mapping, "registered": totals[0],
              "ballots_cast": totals[1], "null": totals[2],
              "votes": dict(zip(loaded.option_codes, totals[3:])), "unmatched": list(loaded.unmatched),
              "split": list(loaded.split), "source": loaded.source}
    if as_json:
        click.echo(json.dumps(record, ensure_ascii=False, indent=2))
        return
    click.echo(f"{loaded.name} ({loaded.date or 'no date'}), from {loaded.source}, per {loaded.unit}")
    for code, name in loaded.options:
        mapped = [now for now, then in loaded.mapping.items() if then == code]
        click.echo(f"  {code:<12} {name:<30} {record['votes'][code]:>12,}  -> {', '.join(mapped) or '(none)'}")
    click.echo(f"  registered {totals[0]:,}; ballots cast {totals[1]:,}; null {totals[2]:,}")
    _unmatched(loaded.unmatched, loaded.split)


def _show(found: dict | None, as_json: bool, render) -> None:
    """Print a comparison or transfer as JSON or as text; say so when no previous election is loaded."""
    if found is None:
        raise click.ClickException("no previous election loaded (escrutinio previous load FILE --mapping FILE)")
    click.echo(json.dumps(found, ensure_ascii=False, indent=2) if as_json else render(), nl=as_json)


@previous.command("compare")
@click.argument("number", type=int, required=False)
@click.option("--area", "area_code", help="Area code (default: the whole country).")
@click.option("--json", "as_json", is_flag=True)
@db_option
def previous_compare(number: int | None, area_code: str | None, as_json: bool, db_url: str) -> None:
    """Compare bulletin NUMBER (default: the latest) with the previous election at one area."""
    store = open_db(db_url)
    shown = services.get_bulletin(store, number)
    found = services.comparison.comparison(store, shown, area_code)
    _show(found, as_json, lambda: render_comparison(shown, found))


@previous.command("transfer")
@click.argument("number", type=int, required=False)
@click.option("--contest", required=True, help="This night's contest code.")
@click.option("--json", "as_json", is_flag=True)
@db_option
def previous_transfer(number: int | None, contest: str, as_json: bool, db_url: str) -> None:
    """Where the previous election's voters went in CONTEST by bulletin NUMBER: bounds and an estimate."""
    store = open_db(db_url)
    shown = services.get_bulletin(store, number)
    found = services.comparison.transfer(store, shown, contest)
    _show(found, as_json, lambda: render_transfer(found))
