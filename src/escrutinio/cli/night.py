"""Setting up a night and taking actas in: init, ingest, resolve, annul, actas."""

from __future__ import annotations

import json
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


ACTA_STATUSES = ["counted", "quarantined", "conflicting", "set_aside", "annulled", "awaiting_second_entry"]


@main.group(invoke_without_command=True)
@click.option("--table", help="Only this table's actas.")
@click.option("--status", type=click.Choice([*ACTA_STATUSES, "refused"]),
              help="Only actas with this status; refused: the register of actas refused at intake.")
@db_option
@click.pass_context
def actas(ctx: click.Context, table: str | None, status: str | None, db_url: str) -> None:
    """List stored actas with their id, status and reasons (or enter and recount them).

    With --status refused, list the register of refused actas: time, table,
    reason code, where it came from and the SHA-256 of its bytes (never the
    bytes); refusals folded out of the register when it was full are counted
    per reason at the end. Where a table's entries disagree, they are shown
    side by side, field by field.
    """
    if ctx.invoked_subcommand is not None:
        return
    store = open_db(db_url)
    store.election()
    if status == "refused":
        _print_refused(store, table)
        return
    held = [r for r in store.actas(table=table) if not status or r.status == status]
    for record in held:
        acta = record.acta
        votes = " ".join(f"{code}={n}" for code, n in acta.votes)
        reasons = f"  [{'; '.join(record.reasons)}]" if record.reasons else ""
        entry = f"  ({record.entry})" if record.entry else ""
        click.echo(f"{record.id:>8}  {acta.table}  {acta.contest}  {record.status:<11}  {votes} null={acta.null} "
                   f"blank={acta.blank} cast={acta.ballots_cast}  {record.source}{entry}{reasons}")
    if table is not None:
        for contest, side in services.intake.disagreements(store, table).items():
            click.echo(f"\nTable {table}, contest {contest}: entries that disagree, side by side "
                       "(* marks a field that differs):")
            click.echo(_side_by_side(side))


def _side_by_side(side: list[dict]) -> str:
    heads = ["field"] + [f"acta {s['id']} ({s['operator']})" for s in side]
    fields = list(side[0]["fields"])
    rows = [heads] + [[("* " if len({s["fields"][f] for s in side}) > 1 else "  ") + f]
                      + [str(s["fields"][f]) for s in side] for f in fields]
    widths = [max(len(r[i]) for r in rows) for i in range(len(heads))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)


def _print_refused(store, table: str | None) -> None:
    rows = [r for r in store.refused() if table is None or r["table_code"] == table]
    for r in rows:
        click.echo(f"{r['at'].isoformat()}  {r['table_code'] or '-':<12}  {r['reason']:<16}  {r['source']}  "
                   f"sha256={r['sha256']}")
    folded = store.refused_summary()
    if folded and table is None:
        click.echo("Older refusals, folded out of the register when it was full (per reason):")
        for r in folded:
            click.echo(f"  {r['reason']:<16}  {r['count']:,}  from {r['first_at'].isoformat()} "
                       f"to {r['last_at'].isoformat()}")
    counts = store.refused_counts()
    click.echo(f"{sum(counts.values()):,} refused in all"
               + (": " + ", ".join(f"{k} {v:,}" for k, v in counts.items()) if counts else ""))


def _figure_options(f):
    """An acta's figures given one by one: --vote OPTION=N (repeated), --null, --blank, --ballots-cast."""
    for option in reversed((
            click.option("--vote", "votes", multiple=True, metavar="OPTION=N",
                         help="Votes of one option (repeat per option)."),
            click.option("--null", "null", type=int, help="Null ballots."),
            click.option("--blank", type=int, help="Blank ballots (contests that count them apart)."),
            click.option("--ballots-cast", type=int, help="Ballots cast."))):
        f = option(f)
    return f


def _token_option(f):
    return click.option("--token", envvar="ESCRUTINIO_TOKEN", required=True, metavar="TOKEN",
                        help="Your operator token (role clerk, transmission or admin); also read from "
                             "ESCRUTINIO_TOKEN. Each entry is authenticated by its token.")(f)


@actas.command("enter")
@click.argument("table")
@click.argument("contest")
@_figure_options
@click.option("--file", "from_file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="The acta as a JSON object (docs/formats/actas.md) instead of the options above.")
@click.option("--image", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="The scanned paper acta (PNG, JPEG, WebP or PDF): kept, its SHA-256 in the public log.")
@_token_option
@db_option
def actas_enter(table: str, contest: str, votes: tuple[str, ...], null: int | None, blank: int | None,
                ballots_cast: int | None, from_file: Path | None, image: Path | None, token: str,
                db_url: str) -> None:
    """Key in TABLE's paper acta for CONTEST by hand (one of its two entries).

    Two operators key in the same paper acta, each on their own, with their
    own token. The first entry waits (awaiting_second_entry; nothing is
    counted); the second counts the acta if it agrees field by field; entries
    that disagree are a conflict, shown side by side by `escrutinio actas
    --table TABLE`, and settled by a further entry that agrees with one of
    them. The same token cannot make both entries. Exits 1 if the entry was
    refused or rejected.
    """
    store = open_db(db_url)
    who = services.tokens.authenticate(store, token, "clerk", "transmission")
    if from_file is not None:
        try:
            data = json.loads(from_file.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise click.UsageError(f"{from_file}: not a JSON acta ({exc})") from exc
        if isinstance(data, dict):
            data = {"table": table, "contest": contest, **data}
    else:
        data = {"table": table, "contest": contest, "votes": _votes(votes), "null": null,
                "ballots_cast": ballots_cast}
        if blank is not None:
            data["blank"] = blank
    scan = (_media_type(image), image.read_bytes()) if image is not None else None
    outcome = services.intake.enter_manual(store, data, who, channel="cli", image=scan)
    if outcome.result == "rejected":
        for problem in outcome.problems:
            click.echo(f"rejected: {problem}", err=True)
        sys.exit(1)
    click.echo(_ENTERED[outcome.result].format(id=outcome.acta_id, table=outcome.table, contest=outcome.contest))


_ENTERED = {
    "awaiting_second_entry": "Acta {id} (table {table}, contest {contest}) awaits its second entry by another "
                             "operator; nothing is counted yet.",
    "accepted": "Acta {id} (table {table}, contest {contest}): both entries agree; it is counted.",
    "quarantined": "Acta {id} (table {table}, contest {contest}): both entries agree, but it breaks a rule; it is "
                   "quarantined (see escrutinio actas --table {table}).",
    "conflict": "Acta {id} (table {table}, contest {contest}) is a conflict: it differs from another entry or acta "
                "of this table; see them side by side with escrutinio actas --table {table}.",
    "already_present": "Acta {id} (table {table}, contest {contest}) already holds exactly these figures.",
}


@actas.command("recount")
@click.argument("table")
@click.option("--contest", help="The contest recounted (default: the table's only contest).")
@click.option("--board-ref", required=True, help="The competent board's reference for the recount (kept on record).")
@click.option("--reason", required=True, help="Why the table was recounted (kept on record and shown).")
@click.option("--operator", required=True, help="Who enters the board's decision (kept on record).")
@_figure_options
@click.option("--file", "from_file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="The recounted figures as a JSON object (votes, null, blank, ballots_cast).")
@db_option
def actas_recount(table: str, contest: str | None, board_ref: str, reason: str, operator: str,
                  votes: tuple[str, ...], null: int | None, blank: int | None, ballots_cast: int | None,
                  from_file: Path | None, db_url: str) -> None:
    """Enter a board's recount of TABLE: its figures replace the acta that counts.

    An admin's decision, even after bulletins were published: the acta it
    replaces is set aside (kept, shown), the recount counts from the next
    bulletin on, and the board's reference and reason are in the public log
    and the table's history; `escrutinio verify` recomputes every bulletin
    with it.
    """
    store = open_db(db_url)
    election = store.election()
    if contest is None:
        found = election.table_by_code.get(table)
        if found is None:
            raise click.UsageError(f"no table {table!r}")
        if len(found.contests) != 1:
            raise click.UsageError(f"table {table} has contests {', '.join(found.contests)}: choose one with --contest")
        contest = found.contests[0]
    if from_file is not None:
        try:
            figures = json.loads(from_file.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise click.UsageError(f"{from_file}: not a JSON object of figures ({exc})") from exc
        if not isinstance(figures, dict):
            raise click.UsageError(f"{from_file}: not a JSON object of figures")
    else:
        figures = {"votes": _votes(votes), "null": null, "ballots_cast": ballots_cast}
        if blank is not None:
            figures["blank"] = blank
    record = services.recount(store, table, contest, figures, board_ref, reason, operator)
    click.echo(f"Acta {record.id}: the recount of table {table}, contest {contest} (board {board_ref.strip()}) "
               "now counts; the acta it replaces is set aside.")


def _votes(given: tuple[str, ...]) -> dict:
    votes: dict = {}
    for item in given:
        code, sep, number = item.partition("=")
        if not sep or not code.strip():
            raise click.UsageError(f"--vote {item!r}: write OPTION=N, e.g. --vote SI=120")
        text = number.strip()
        votes[code.strip()] = int(text) if text.isascii() and text.isdigit() else text
    return votes


def _media_type(path: Path) -> str:
    return {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp",
            ".pdf": "application/pdf"}.get(path.suffix.lower(), "application/octet-stream")
