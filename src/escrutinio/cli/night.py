"""Setting up a night and taking actas in: init, ingest, resolve, annul, actas."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .. import services
from ..settings import load_settings
from .base import db_option, main, open_db


@main.command()
@click.argument("definition", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--drill", is_flag=True,
              help="A rehearsal night: flagged as a drill on every page, response and file; its actas (signed "
                   "with its own identifier) are refused by the real night. Clear it with `escrutinio reset`.")
@click.option("--authority-key-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Keep the authority's private key (it signs every bulletin's tree head) in this file, never in "
                   "the database: read if it exists (mode 0600, refused otherwise), made there if not. Default: the "
                   "authority_key_file setting. The production setup.")
@db_option
def init(definition: Path, drill: bool, authority_key_file: Path | None, db_url: str) -> None:
    """Create the database from an election DEFINITION (a TOML file).

    Every problem of the definition and of the CSV files it names is listed
    at once; nothing is created unless all are fixed. The election gets a
    random identifier, inside every acta its tables sign.
    """
    store = open_db(db_url)
    key_file = authority_key_file or load_settings().authority_key_file or None
    election = services.init_election(store, definition, drill=drill, authority_key_file=key_file)
    click.echo(f"Created {election.name!r}: {len(election.contests)} contest(s), {len(election.areas)} areas, "
               f"{len(election.centres)} centres, {len(election.tables)} tables in {db_url}")
    click.echo(f"Election identifier: {election.id} (inside every acta its tables sign)")
    if key_file:
        click.echo(f"The authority's private key is in {key_file} (mode 0600); the database holds its public key only.")
    if election.drill:
        click.echo("This is a drill: a rehearsal night, flagged everywhere; the real night refuses its actas.")


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--operator", default="system", show_default=True, help="Who is taking these actas in.")
@db_option
def ingest(files: tuple[Path, ...], operator: str, db_url: str) -> None:
    """Take in acta FILES (CSV or JSON Lines) and print what happened to each.

    Exits 1 if any acta was rejected; quarantined actas and conflicts are
    stored and listed, and do not fail the command.
    """
    store = open_db(db_url)
    store.election()
    with click.progressbar(length=services.intake.total_rows(files), label="Ingesting", file=sys.stderr,
                           show_pos=True) as bar:
        report = services.ingest_files(store, files, operator=operator, progress=bar.update)
    _print_report(report)
    if report.counts["rejected"]:
        sys.exit(1)


def _print_report(report: services.IngestReport) -> None:
    counts = report.counts
    click.echo(f"accepted {counts['accepted']:,}, already present {counts['already_present']:,}, "
               f"conflicts {counts['conflict']:,}, quarantined {counts['quarantined']:,}, "
               f"rejected {counts['rejected']:,}")
    for outcome in report.outcomes:
        if outcome.result == "quarantined":
            click.echo(f"quarantined: {outcome.source} row {outcome.row}: table {outcome.table}, contest "
                       f"{outcome.contest}: {'; '.join(outcome.reasons)} — check the paper acta; once settled, "
                       f"send the corrected acta and resolve the conflict")
        elif outcome.result == "conflict":
            click.echo(f"conflict: {outcome.source} row {outcome.row}: table {outcome.table}, contest "
                       f"{outcome.contest} already has a different acta — both are kept, and what counts now "
                       f"stays so until `escrutinio resolve` picks one (ids: escrutinio actas --table "
                       f"{outcome.table})")
    for problem in report.problems:
        click.echo(f"rejected: {problem}")


@main.command()
@click.argument("table")
@click.argument("contest")
@click.argument("acta_id", type=int)
@click.option("--reason", required=True, help="Why this acta is the one that counts (kept on record).")
@click.option("--operator", required=True, help="Who decides (kept on record).")
@click.option("--count-quarantined", is_flag=True,
              help="Count a quarantined acta: the reason must say why the rule it broke does not apply.")
@db_option
def resolve(table: str, contest: str, acta_id: int, reason: str, operator: str, count_quarantined: bool,
            db_url: str) -> None:
    """Resolve a conflict (or a quarantine): count acta ACTA_ID for TABLE and CONTEST.

    Every other acta of that table and contest is set aside (kept, never
    counted). See the ids with `escrutinio actas --table TABLE`.
    """
    record = services.resolve_conflict(open_db(db_url), table, contest, acta_id, reason, operator,
                                       count_quarantined=count_quarantined)
    click.echo(f"Acta {record.id} now counts for table {table}, contest {contest}.")


@main.command()
@click.argument("acta_id", type=int)
@click.option("--reason", required=True, help="Why the acta is annulled (kept on record and shown).")
@click.option("--operator", required=True, help="Who decides (kept on record).")
@db_option
def annul(acta_id: int, reason: str, operator: str, db_url: str) -> None:
    """Annul acta ACTA_ID: it stays on record and on the table's page, and never counts again."""
    record = services.annul_acta(open_db(db_url), acta_id, reason, operator)
    click.echo(f"Acta {record.id} (table {record.acta.table}, contest {record.acta.contest}) is annulled.")


@main.command()
@click.option("--table", help="Only this table's actas.")
@click.option("--status", type=click.Choice(["counted", "quarantined", "conflicting", "set_aside", "annulled"]),
              help="Only actas with this status.")
@db_option
def actas(table: str | None, status: str | None, db_url: str) -> None:
    """List stored actas with their id, status and reasons."""
    store = open_db(db_url)
    store.election()
    for record in store.actas(table=table):
        if status and record.status != status:
            continue
        acta = record.acta
        votes = " ".join(f"{code}={n}" for code, n in acta.votes)
        reasons = f"  [{'; '.join(record.reasons)}]" if record.reasons else ""
        click.echo(f"{record.id:>8}  {acta.table}  {acta.contest}  {record.status:<11}  {votes} null={acta.null} "
                   f"blank={acta.blank} cast={acta.ballots_cast}  {record.source}{reasons}")

