"""Adapters: other systems' result files into escrutinio's own."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .. import services
from .base import main


@main.group()
def adapt() -> None:
    """Turn other systems' result files into escrutinio's own files.

    Each command writes an election definition (definition.toml, areas.csv,
    centres.csv, tables.csv) and one acta CSV per input file into --out, for
    `escrutinio init` and `escrutinio ingest`. Every problem of the input is
    listed; if there is any, nothing is written and the command exits 1.
    """


out_option = click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
                          help="Directory to write into (created if needed; files of the same name are replaced).")


@adapt.command("tse-br")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--round", "round_", type=click.IntRange(1, 2), default=1, show_default=True,
              help="Which round the file is of (the file does not say).")
@click.option("--date", type=click.DateTime(["%Y-%m-%d"]),
              help="The round's date, YYYY-MM-DD (default: the round's date in 2022).")
@click.option("--name", help="The election's name (default: office, year, state and round).")
@click.option("--office", type=click.Choice(list(services.adapt.OFFICES)), default="presidente", show_default=True,
              help="The office (cargo) the file counts.")
@click.option("--candidates", type=click.Path(dir_okay=False, path_type=Path),
              help="CSV file numero,nome,partido naming the ballot numbers (default: \"Candidato 22\" etc.).")
@out_option
def adapt_tse_br(file: Path, round_: int, date, name: str | None, office: str, candidates: Path | None,
                 out: Path) -> None:
    """Brazil: TSE results of one state, one office and round, per section.

    FILE is a per-section CSV as aggregated from the TSE by doccaz/urnas-br
    (csv/resumo-<uf>.csv, csv/resumo-<uf>-407.csv for the 2022 runoff). See
    docs/formats/adapters.md.
    """
    _report_adapted(services.adapt.adapt_tse_br_file(
        file, out, round=round_, date=date.date() if date else None, name=name, office=office,
        candidates=candidates))


@adapt.command("onegov-vote")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--canton", help="Canton code such as ZG (default: found from the municipality numbers).")
@out_option
def adapt_onegov_vote(files: tuple[Path, ...], canton: str | None, out: Path) -> None:
    """Switzerland: OneGov vote exports, per municipality.

    FILES are CSV exports of one and the same vote (say an intermediate and
    the final one); the definition covers all their municipalities, and each
    file gives its own acta file. See docs/formats/adapters.md.
    """
    _report_adapted(services.adapt.adapt_onegov_vote_files(list(files), out, canton=canton))


@adapt.command("nist")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@out_option
def adapt_nist(file: Path, out: Path) -> None:
    """A NIST SP 1500-100 v2 election results report, XML or JSON, as a new election.

    Its reporting units become areas, centres and tables, its contests and
    selections contests and options, its counts actas (overvotes null,
    undervotes blank). See docs/formats/adapters.md.
    """
    _report_adapted(services.adapt.adapt_nist_file(file, out))


@adapt.command("clarity")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@out_option
def adapt_clarity(file: Path, out: Path) -> None:
    """Clarity (Scytl) detail XML results, precinct or county level, as a new election.

    FILE is the detail.xml of one jurisdiction. See docs/formats/adapters.md.
    """
    _report_adapted(services.adapt.adapt_clarity_file(file, out))


def _report_adapted(adapted: services.adapt.Adapted) -> None:
    for path in adapted.written:
        click.echo(f"wrote {path}")
    if not adapted.written:
        click.echo(f"nothing written: {len(adapted.problems)} problem(s) in the input; fix them and run again"
                   if adapted.problems else "nothing written: the input could not be mapped")
    for note in adapted.notes:
        click.echo(f"note: {note}")
    for problem in adapted.problems:
        click.echo(f"problem: {problem}")
    if adapted.problems:
        sys.exit(1)

