"""Quick count: draw the sample, compute its size, estimate from a file of sampled tables."""

from __future__ import annotations

import csv
import json
import sys

import click

from .. import services
from .base import db_option, main, open_db


@main.group()
def quickcount() -> None:
    """Quick count (parallel vote tabulation), separate from the official count.

    Draw a reproducible sample of tables from a published seed, size it, and
    estimate each option's share with its 95 % margin from observers' figures.
    """


@quickcount.command("sample")
@click.option("--seed", required=True, help="The published seed (any text; say, the lottery's numbers).")
@click.option("--size", type=int, required=True, help="How many tables to draw.")
@click.option("--strata", "level", metavar="LEVEL", help="Stratify by the areas of this level (e.g. estado).")
@click.option("--save", is_flag=True, help="Keep it as the night's quick count (GET /api/v1/quickcount).")
@db_option
def quickcount_sample(seed: str, size: int, level: str | None, save: bool, db_url: str) -> None:
    """Print the sample as CSV (table, centre, stratum, key).

    Anyone can redraw it: each table's key is the SHA-256 of "SEED:TABLE"; the
    size is shared among strata in proportion to their tables; each stratum
    takes its smallest keys (docs/observers.md).
    """
    store = open_db(db_url)
    centre = {t.code: t.centre for t in store.election().tables}
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["table", "centre", "stratum", "key"])
    drawn = (services.quickcount.save_sample if save else services.quickcount.draw)(store, seed, size, level)
    for picked in drawn:
        out.writerow([picked.table, centre[picked.table], picked.stratum, picked.key])


@quickcount.command("sample-size")
@click.option("--population", type=int, required=True, help="Registered voters (N).")
@click.option("--margin", required=True, help="Margin of error E, as a fraction (0.005) or a percentage (0.5%).")
@click.option("--z", type=float, default=1.96, show_default=True, help="z of the confidence level (2.58 for 99 %).")
@click.option("--average-register", type=float,
              help="Registered voters per table on average (default: the stored election's).")
@db_option
def quickcount_sample_size(population: int, margin: str, z: float, average_register: float | None,
                           db_url: str) -> None:
    """Print the sample size in voters (NDI's formula), then in tables."""
    if average_register is None:
        average_register = services.quickcount.average_register(open_db(db_url).election())
    found = services.quickcount.size(population, _fraction(margin), z, average_register)
    click.echo(f"voters: {found.voters}")
    click.echo(f"tables: {found.tables}")


def _fraction(text: str) -> float:
    try:
        return float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a number: write 0.005 or 0.5%", param_hint="--margin") from None


@quickcount.command("estimate")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--strata", "level", metavar="LEVEL", help="The level the sample was stratified by.")
@click.option("--contest", help="The contest, when the file has no contest column.")
@click.option("--json", "as_json", is_flag=True, help="The estimates as JSON.")
@db_option
def quickcount_estimate(file: str, level: str | None, contest: str | None, as_json: bool, db_url: str) -> None:
    """Estimate each option's share of valid votes, with its 95 % margin, from FILE.

    FILE is a CSV of sampled tables: table, (contest,) one column per option,
    valid. Every problem in it is listed, and then nothing is estimated.
    """
    estimates = services.quickcount.estimate_file(open_db(db_url), file, level, contest)
    if as_json:
        click.echo(json.dumps({c: services.quickcount.estimate_json(e) for c, e in estimates.items()}, indent=2))
        return
    for code, found in estimates.items():
        click.echo(f"contest {code}: {found.reports} tables reported, from {found.strata_reporting} "
                   f"of {found.strata} strata (quick count, not the official count)")
        for o in found.options:
            margin = "no margin yet" if o.margin is None else \
                f"± {100 * o.margin:.2f}  ({100 * o.low:.2f} – {100 * o.high:.2f})"
            click.echo(f"  {o.option:<12} {100 * o.share:6.2f} %  {margin}")


@quickcount.command("status")
@db_option
def quickcount_status(db_url: str) -> None:
    """Print the night's quick count as JSON (as GET /api/v1/quickcount gives it)."""
    click.echo(json.dumps(services.quickcount.status(open_db(db_url), figures=True), ensure_ascii=False, indent=2))
