"""The `escrutinio` command: a thin shell over escrutinio.services."""

from __future__ import annotations

import json
import sys
import threading
import webbrowser
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from . import services
from .domain.errors import AlreadyInitialised, EscrutinioError, NotFound
from .publish.text import render_bulletin, render_diff, render_list
from .settings import SettingsError, load_settings

ENV_DB = "ESCRUTINIO_DATABASE_URL"

def _database_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str:
    return value or load_settings().database_url


db_option = click.option(
    "--db", "db_url", envvar=ENV_DB, default=None, metavar="URL", callback=_database_url,
    help=f"Database URL (SQLite file or postgresql+psycopg://…); also read from {ENV_DB}. "
         f"Default: the database_url setting ({services.DEFAULT_URL}).")


def _store(db_url: str):
    return services.open_store(db_url)


class _Group(click.Group):
    """Turns escrutinio's own errors into one clear message and exit code 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (EscrutinioError, SettingsError) as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="escrutinio")
def main() -> None:
    """Count, verify and publish an election or referendum night.

    Define an election (init), take in actas (ingest), settle conflicts
    (resolve), publish numbered bulletins (bulletin), or replay the demo
    night of 2 December 2007 (demo).
    """


@main.command()
@click.argument("definition", type=click.Path(dir_okay=False, path_type=Path))
@db_option
def init(definition: Path, db_url: str) -> None:
    """Create the database from an election DEFINITION (a TOML file).

    Every problem of the definition and of the CSV files it names is listed
    at once; nothing is created unless all are fixed.
    """
    store = _store(db_url)
    election = services.init_election(store, definition)
    click.echo(f"Created {election.name!r}: {len(election.contests)} contest(s), {len(election.areas)} areas, "
               f"{len(election.centres)} centres, {len(election.tables)} tables in {db_url}")


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--operator", default="system", show_default=True, help="Who is taking these actas in.")
@db_option
def ingest(files: tuple[Path, ...], operator: str, db_url: str) -> None:
    """Take in acta FILES (CSV or JSON Lines) and print what happened to each.

    Exits 1 if any acta was rejected; quarantined actas and conflicts are
    stored and listed, and do not fail the command.
    """
    store = _store(db_url)
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
    record = services.resolve_conflict(_store(db_url), table, contest, acta_id, reason, operator,
                                       count_quarantined=count_quarantined)
    click.echo(f"Acta {record.id} now counts for table {table}, contest {contest}.")


@main.command()
@click.argument("acta_id", type=int)
@click.option("--reason", required=True, help="Why the acta is annulled (kept on record and shown).")
@click.option("--operator", required=True, help="Who decides (kept on record).")
@db_option
def annul(acta_id: int, reason: str, operator: str, db_url: str) -> None:
    """Annul acta ACTA_ID: it stays on record and on the table's page, and never counts again."""
    record = services.annul_acta(_store(db_url), acta_id, reason, operator)
    click.echo(f"Acta {record.id} (table {record.acta.table}, contest {record.acta.contest}) is annulled.")


@main.command()
@click.option("--table", help="Only this table's actas.")
@click.option("--status", type=click.Choice(["counted", "quarantined", "conflicting", "set_aside", "annulled"]),
              help="Only actas with this status.")
@db_option
def actas(table: str | None, status: str | None, db_url: str) -> None:
    """List stored actas with their id, status and reasons."""
    store = _store(db_url)
    store.election()
    for record in store.actas(table=table):
        if status and record.status != status:
            continue
        acta = record.acta
        votes = " ".join(f"{code}={n}" for code, n in acta.votes)
        reasons = f"  [{'; '.join(record.reasons)}]" if record.reasons else ""
        click.echo(f"{record.id:>8}  {acta.table}  {acta.contest}  {record.status:<11}  {votes} null={acta.null} "
                   f"blank={acta.blank} cast={acta.ballots_cast}  {record.source}{reasons}")


@main.group()
def bulletin() -> None:
    """Publish, show, list and compare bulletins."""


@bulletin.command("publish")
@db_option
def bulletin_publish(db_url: str) -> None:
    """Publish the next bulletin: a snapshot of every area as of now."""
    published = services.publish_bulletin(_store(db_url))
    click.echo(f"Published bulletin {published.number} ({published.hash}).")


@bulletin.command("show")
@click.argument("number", type=int, required=False)
@click.option("--area", "area_code", help="Area or centre code (default: the whole country).")
@click.option("--json", "as_json", is_flag=True, help="The bulletin's header and the area's figures as JSON.")
@click.option("--full", is_flag=True, help="The bulletin's head as canonical JSON (its SHA-256 is the hash).")
@db_option
def bulletin_show(number: int | None, area_code: str | None, as_json: bool, full: bool, db_url: str) -> None:
    """Show bulletin NUMBER (default: the latest) as a table, or as JSON."""
    shown = services.get_bulletin(_store(db_url), number)
    if full:
        from .domain.canonical import canonical_json

        click.echo(canonical_json(shown.body).decode())
        return
    area = shown.area(area_code) if area_code else shown.root
    if area is None:
        raise NotFound("area", area_code)
    if as_json:
        click.echo(json.dumps({**shown.body, "hash": shown.hash, "area": area}, ensure_ascii=False, indent=2))
        return
    click.echo(render_bulletin(shown, area["code"]), nl=False)


@bulletin.command("export")
@click.argument("number", type=int, required=False)
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder to write into (made if missing); upload it as it is to a web server, object store or CDN.")
@click.option("--areas/--no-areas", default=True, show_default=True,
              help="Also write one JSON file per area and centre (their figures and their children's).")
@db_option
def bulletin_export(number: int | None, out: Path, areas: bool, db_url: str) -> None:
    """Write bulletin NUMBER (default: the latest) as static files.

    The head (its SHA-256 is the bulletin's hash), the counters of each contest, the node list, a CSV
    per level and, with --areas, one JSON file per area as the API gives it; bulletins.json and
    latest.json are rewritten. Files of a published bulletin never change: serve them with a long
    cache lifetime. The layout is in docs/scaling.md.
    """
    store = _store(db_url)
    shown = services.get_bulletin(store, number)
    with click.progressbar(length=len(store.nodes()) if areas else 0, label="areas and centres",
                           file=sys.stderr) as bar:
        done = services.export_bulletin(store, out, shown.number, areas=areas, progress=bar.update)
    click.echo(f"Bulletin {done.number}: {done.files:,} files, {done.bytes / 1e6:,.1f} MB in {out}")


@bulletin.command("list")
@db_option
def bulletin_list(db_url: str) -> None:
    """List published bulletins with their cut-off and hash."""
    store = _store(db_url)
    click.echo(render_list(services.list_bulletins(store), store.election().time_zone), nl=False)


@bulletin.command("diff")
@click.argument("old", type=int)
@click.argument("new", type=int)
@click.option("--area", "areas", multiple=True, help="Only this area or centre (repeatable).")
@click.option("--all-areas", is_flag=True, help="Every area and centre (default: the country and first level).")
@db_option
def bulletin_diff(old: int, new: int, areas: tuple[str, ...], all_areas: bool, db_url: str) -> None:
    """Show what changed from bulletin OLD to bulletin NEW."""
    store = _store(db_url)
    election = store.election()
    if areas:
        codes: set[str] | None = set(areas)
    elif all_areas:
        codes = None
    else:
        codes = {a.code for a in election.areas if a.level <= 1}
    changes = services.compare_bulletins(store, old, new, codes)
    click.echo(render_diff(store.bulletin(old), store.bulletin(new), changes), nl=False)


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
    from .web.server import run

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
@db_option
def serve(host: str | None, port: int | None, db_url: str) -> None:
    """Serve the public website and the JSON API (/api/v1, described at /api/docs)."""
    settings = load_settings(database_url=db_url, host=host, port=port)
    store = _store(db_url)
    store.election()
    click.echo(f"Serving {store.election().name!r} at http://{settings.host}:{settings.port} (Ctrl-C to stop).")
    from .web.server import run

    run(settings, store)


@main.group()
def token() -> None:
    """Operator tokens: create (shown once), list and revoke them."""


@token.command("create")
@click.argument("name")
@click.option("--role", type=click.Choice(services.tokens.ROLES), required=True,
              help="admin: everything; transmission: send actas; editor: the timeline; observer: read.")
@db_option
def token_create(name: str, role: str, db_url: str) -> None:
    """Create a token for NAME (a person or a device). The token is printed once and never stored."""
    token_id, secret = services.tokens.create_token(_store(db_url), name, role)
    click.echo(f"token {token_id} for {name!r} ({role}): {secret}")
    click.echo("Keep it secret; it is not stored and cannot be shown again. Send it as "
               "'Authorization: Bearer <token>'.", err=True)


@token.command("list")
@db_option
def token_list(db_url: str) -> None:
    """List tokens (never the tokens themselves)."""
    for t in services.tokens.list_tokens(_store(db_url)):
        state = f"revoked {t['revoked_at']:%Y-%m-%d %H:%M}" if t["revoked_at"] else "active"
        click.echo(f"{t['id']:>4}  {t['role']:<12}  {state:<24}  {t['name']}")


@token.command("revoke")
@click.argument("token_id", type=int)
@db_option
def token_revoke(token_id: int, db_url: str) -> None:
    """Revoke token TOKEN_ID at once."""
    services.tokens.revoke_token(_store(db_url), token_id)
    click.echo(f"token {token_id} revoked")


@main.group()
def timeline() -> None:
    """The live coverage timeline: post, correct, pin and delete entries; moderate comments.

    Entries written here reach open pages live, like those posted over the
    API. Corrections and deletions are public: an entry keeps its trail.
    """


editor_option = click.option("--editor", required=True, help="Who does this (kept on record and shown).")


def _text(text: str) -> str:
    return sys.stdin.read() if text == "-" else text


@timeline.command("post")
@click.argument("text")
@click.option("--key", "key_event", is_flag=True, help="A key event: highlighted and listed apart.")
@click.option("--pin", is_flag=True, help="Pin it at the top of the timeline.")
@click.option("--media", "media_url", metavar="URL", help="An image (.png, .jpg, …) or a page to show with it.")
@click.option("--media-title", help="The image's caption or the link's title.")
@editor_option
@db_option
def timeline_post(text: str, key_event: bool, pin: bool, media_url: str | None, media_title: str | None,
                  editor: str, db_url: str) -> None:
    """Post an entry: TEXT in Markdown ('-' reads it from standard input)."""
    entry = services.timeline.post_entry(_store(db_url), _text(text), author=editor, pinned=pin,
                                         kind="key" if key_event else "note", media_url=media_url,
                                         media_title=media_title)
    click.echo(f"Posted entry {entry.id}.")


@timeline.command("edit")
@click.argument("entry_id", type=int)
@click.argument("text")
@click.option("--reason", help="Why it is corrected (shown in the entry's public trail).")
@editor_option
@db_option
def timeline_edit(entry_id: int, text: str, reason: str | None, editor: str, db_url: str) -> None:
    """Correct entry ENTRY_ID to TEXT: it keeps its place and shows what changed."""
    services.timeline.edit_entry(_store(db_url), entry_id, editor=editor, body=_text(text), reason=reason)
    click.echo(f"Entry {entry_id} corrected; its trail shows the text it replaced.")


@timeline.command("pin")
@click.argument("entry_id", type=int)
@click.option("--unpin", is_flag=True, help="Unpin it instead.")
@editor_option
@db_option
def timeline_pin(entry_id: int, unpin: bool, editor: str, db_url: str) -> None:
    """Pin entry ENTRY_ID at the top of the timeline (or unpin it)."""
    services.timeline.pin_entry(_store(db_url), entry_id, not unpin, editor=editor)
    click.echo(f"Entry {entry_id} {'unpinned' if unpin else 'pinned'}.")


@timeline.command("delete")
@click.argument("entry_id", type=int)
@click.option("--reason", help="Why it is withdrawn (shown on its tombstone).")
@editor_option
@db_option
def timeline_delete(entry_id: int, reason: str | None, editor: str, db_url: str) -> None:
    """Withdraw entry ENTRY_ID: a tombstone stays in its place."""
    services.timeline.delete_entry(_store(db_url), entry_id, editor=editor, reason=reason)
    click.echo(f"Entry {entry_id} withdrawn; a tombstone stays in its place.")


@timeline.command("bulletin")
@click.argument("number", type=int)
@db_option
def timeline_bulletin(number: int, db_url: str) -> None:
    """Make sure bulletin NUMBER has its entry (publishing posts it; this never duplicates it)."""
    entry = services.timeline.announce_bulletin(_store(db_url), number)
    click.echo(f"Bulletin {number} is entry {entry.id}.")


@timeline.command("list")
@db_option
def timeline_list(db_url: str) -> None:
    """List entries, newest first, with their id, local time and state."""
    from .publish.markdown import headline

    store = _store(db_url)
    zone = ZoneInfo(store.election().time_zone)
    for e in services.timeline.read_timeline(store).entries:
        flags = ",".join(f for f, on in (("pinned", e.pinned), ("edited", e.updated_at), ("deleted", e.deleted)) if on)
        text = f"bulletin {e.bulletin['number']}" if e.bulletin else headline(e.body, 70)
        click.echo(f"{e.id:>5}  {e.posted_at.astimezone(zone):%Y-%m-%d %H:%M}  {e.kind:<8}  {flags:<20}  {text}")


@timeline.command("comments")
@click.option("--status", type=click.Choice(["pending", "approved", "rejected", "all"]), default="pending",
              show_default=True, help="Which comments to list.")
@db_option
def timeline_comments(status: str, db_url: str) -> None:
    """List readers' comments, oldest first (pending ones wait for approve or reject)."""
    for c in services.timeline.list_comments(_store(db_url), None if status == "all" else status):
        click.echo(f"{c.id:>5}  entry {c.entry_id:<5}  {c.status:<8}  {c.name}: {' '.join(c.body.split())[:80]}")


@timeline.command("approve")
@click.argument("comment_id", type=int)
@editor_option
@db_option
def timeline_approve(comment_id: int, editor: str, db_url: str) -> None:
    """Approve comment COMMENT_ID: it is shown under its entry."""
    services.timeline.moderate_comment(_store(db_url), comment_id, True, moderator=editor)
    click.echo(f"Comment {comment_id} approved.")


@timeline.command("reject")
@click.argument("comment_id", type=int)
@click.option("--reason", help="Why (kept on record, not shown).")
@editor_option
@db_option
def timeline_reject(comment_id: int, reason: str | None, editor: str, db_url: str) -> None:
    """Reject comment COMMENT_ID: it is never shown."""
    services.timeline.moderate_comment(_store(db_url), comment_id, False, moderator=editor, reason=reason)
    click.echo(f"Comment {comment_id} rejected.")


@main.group()
def keys() -> None:
    """Table keys: generate them, register the public ones, sign acta files with the private ones."""


@keys.command("generate")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for table-keys.csv (public) and table-keys.secret.csv (private: keep it secret).")
@click.option("--seed", help="Derive the keys from this text instead of at random (demos and tests only).")
@click.option("--register/--no-register", default=True, help="Also register the public keys in the database.")
@db_option
def keys_generate(out: Path, seed: str | None, register: bool, db_url: str) -> None:
    """Generate an Ed25519 key pair for every table of the election."""
    store = _store(db_url)
    private = services.keys.generate_keys(store.election(), seed)
    public_path, secret_path = services.keys.write_keys(private, out)
    click.echo(f"wrote {public_path} ({len(private):,} public keys) and {secret_path} (private keys)")
    if register:
        count = services.keys.register_keys_file(store, public_path)
        click.echo(f"registered {count:,} public keys")


@keys.command("register")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@db_option
def keys_register(file: Path, db_url: str) -> None:
    """Register the tables' public keys from FILE (CSV: table,public_key)."""
    count = services.keys.register_keys_file(_store(db_url), file)
    click.echo(f"registered {count:,} public keys")


@keys.command("sign")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--keys", "secret", type=click.Path(dir_okay=False, exists=True, path_type=Path), required=True,
              help="The private keys file (table-keys.secret.csv).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for the signed copies (JSON Lines, one per input file).")
@db_option
def keys_sign(files: tuple[Path, ...], secret: Path, out: Path, db_url: str) -> None:
    """Sign acta FILES as each table's device would (demos and tests)."""
    written, problems = services.keys.sign_files(_store(db_url).election(), list(files), secret, out)
    for path in written:
        click.echo(f"wrote {path}")
    for problem in problems:
        click.echo(f"not signed: {problem}")
    if problems:
        sys.exit(1)


@main.group()
def adapt() -> None:
    """Turn other systems' result files into escrutinio's own files.

    Each command writes an election definition (definition.toml, areas.csv,
    centres.csv, tables.csv) and one acta CSV per input file into --out, for
    `escrutinio init` and `escrutinio ingest`. Every problem of the input is
    listed; rows with problems are left out and the command exits 1.
    """


out_option = click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
                          help="Directory to write into (created if needed; files of the same name are replaced).")


@adapt.command("tse-br")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@out_option
def adapt_tse_br(file: Path, out: Path) -> None:
    """Brazil: TSE presidential results of one state, per section.

    FILE is a per-section CSV as aggregated from the TSE by doccaz/urnas-br
    (csv/resumo-<uf>.csv). See docs/formats/adapters.md.
    """
    _report_adapted(services.adapt.adapt_tse_br_file(file, out))


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


def _report_adapted(adapted: services.adapt.Adapted) -> None:
    for path in adapted.written:
        click.echo(f"wrote {path}")
    if not adapted.written:
        click.echo("nothing written: the input could not be mapped")
    for problem in adapted.problems:
        click.echo(f"problem: {problem}")
    if adapted.problems:
        sys.exit(1)


def _authority_key(_ctx, _param, value: str | None) -> str | None:
    from .verify.common import b64

    if value is not None and b64(value, 32) is None:
        raise click.BadParameter("not an Ed25519 public key: 32 bytes of base64, as in a bulletin's "
                                 "log.authority_key")
    return value


def _expected_hashes(_ctx, _param, values: tuple[str, ...]) -> dict[int, str]:
    expected: dict[int, str] = {}
    for value in values:
        number, _, digest = (part.strip() for part in value.partition("="))
        if not (number.isdigit() and int(number) >= 1 and len(digest) == 64
                and all(c in "0123456789abcdefABCDEF" for c in digest)):
            raise click.BadParameter(f"{value!r}: write N=HASH, a bulletin number and its SHA-256 in 64 "
                                     "hexadecimal digits")
        if expected.setdefault(int(number), digest.lower()) != digest.lower():
            raise click.BadParameter(f"bulletin {int(number)} is given two different hashes")
    return expected


@main.command()
@click.option("--db", "db_url", metavar="URL", help="Database URL of the results centre (SQLite or PostgreSQL).")
@click.option("--url", "site", metavar="URL", help="Results site, e.g. http://host:port.")
@click.option("--authority-key", metavar="BASE64", callback=_authority_key,
              help="The authority's public key as you recorded it on the night: every bulletin's tree head "
                   "must be signed by it.")
@click.option("--expect", "expected", metavar="N=HASH", multiple=True, callback=_expected_hashes,
              help="Bulletin N must have exactly this SHA-256, as published on the night (repeatable).")
def verify(db_url: str | None, site: str | None, authority_key: str | None, expected: dict[int, str]) -> None:
    """Check a results night independently: exactly one of --db or --url.

    Recomputes the log's roots, checks every signature and hash, checks the
    geography and the table keys against the ones logged before any acta,
    compares the log with the published actas and recomputes every
    bulletin's figures with code of its own. Without --authority-key the
    authority's key is the one the bulletins carry: give the one you
    recorded on the night, and --expect the bulletin hashes you saw. Exits
    0 only if everything holds.
    """
    if (db_url is None) == (site is None):
        raise click.UsageError("give exactly one of --db URL or --url http://host:port")
    from .verify import verify_source

    report = verify_source(db=db_url, url=site, authority_key=authority_key, expect=expected or None)
    click.echo(report.text(), nl=False)
    sys.exit(0 if report.ok else 1)


@main.command("cli-reference", hidden=True)
def cli_reference() -> None:
    """Print the Markdown CLI reference (docs/cli.md)."""
    click.echo(reference_markdown(), nl=False)


def reference_markdown() -> str:
    """Every command's --help text, in Markdown; docs/cli.md is this, and a test keeps it so."""
    parts = ["# CLI reference\n\n",
             "Generated from `escrutinio … --help` by `escrutinio cli-reference > docs/cli.md`; "
             "a test fails when this file and the help text differ.\n"]
    # Contexts chained as when the commands run, so subcommands inherit -h; a fixed width (what click
    # uses on an 80-column terminal) keeps the text the same whatever terminal generates or tests it.
    root = click.Context(main, info_name="escrutinio", terminal_width=78, **main.context_settings)
    for ctx in _walk(root):
        parts.append(f"\n## `{ctx.command_path}`\n\n```text\n{ctx.command.get_help(ctx)}\n```\n")
    return "".join(parts)


def _walk(ctx: click.Context):
    if ctx.command.hidden:
        return
    yield ctx
    if isinstance(ctx.command, click.Group):
        for name in sorted(ctx.command.commands):
            yield from _walk(click.Context(ctx.command.commands[name], parent=ctx, info_name=name))


if __name__ == "__main__":
    main()
