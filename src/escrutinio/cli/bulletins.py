"""Bulletins: publish, show, export, list, diff, certificate."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .. import services
from ..domain.errors import NotFound
from ..publish.text import render_bulletin, render_diff, render_list
from .base import db_option, main, open_db


@main.group()
def bulletin() -> None:
    """Publish, show, list and compare bulletins."""


@bulletin.command("publish")
@click.option("--hold", is_flag=True, help="While the publication policy holds figures: compute and store the "
              "bulletin for the authority, not public.")
@click.option("--override", is_flag=True, help="Release the figures now although the publication policy does not "
              "allow it yet (needs --reason; kept in the public log).")
@click.option("--reason", help="Why the figures are released early (with --override).")
@db_option
def bulletin_publish(hold: bool, override: bool, reason: str | None, db_url: str) -> None:
    """Publish the next bulletin: a snapshot of every area as of now.

    Under a publication policy (docs/formats/election.md), publishing before it allows is refused
    unless --hold or --override --reason TEXT.
    """
    if override and not (reason or "").strip():
        raise click.UsageError("--override needs --reason TEXT: why the figures are released early")
    store = open_db(db_url)
    published = services.publish_bulletin(store, hold=hold, override=reason if override else None)
    public = services.publication.is_public(store)
    state = "" if public else " Held for the authority: not public until the publication policy allows."
    click.echo(f"Published bulletin {published.number} ({published.hash}).{state}")


@bulletin.command("show")
@click.argument("number", type=int, required=False)
@click.option("--area", "area_code", help="Area or centre code (default: the whole country).")
@click.option("--json", "as_json", is_flag=True,
              help="The bulletin's header and the area's figures as JSON; with a previous election loaded, each "
                   "contest's comparison with it too.")
@click.option("--full", is_flag=True, help="The bulletin's head as canonical JSON (its SHA-256 is the hash).")
@db_option
def bulletin_show(number: int | None, area_code: str | None, as_json: bool, full: bool, db_url: str) -> None:
    """Show bulletin NUMBER (default: the latest) as a table, or as JSON."""
    store = open_db(db_url)
    shown = services.get_bulletin(store, number)
    if full:
        from ..domain.canonical import canonical_json

        click.echo(canonical_json(shown.body).decode())
        return
    area = shown.area(area_code) if area_code else shown.root
    if area is None:
        raise NotFound("area", area_code)
    if as_json:
        shown_json = {**shown.body, "hash": shown.hash, "area": area}
        compared = services.comparison.comparison(store, shown, area["code"])
        if compared:  # a previous election is loaded: each contest beside it (not part of the hash)
            shown_json["comparison"] = compared
            for code, found in compared.items():
                area["results"][code]["comparison"] = found
        click.echo(json.dumps(shown_json, ensure_ascii=False, indent=2))
        return
    click.echo(render_bulletin(shown, area["code"]), nl=False)


@bulletin.command("export")
@click.argument("number", type=int, required=False)
@click.option("--format", "fmt", type=click.Choice(["static", "nist-xml", "nist-json"]), default="static",
              show_default=True,
              help="static: a folder of static files; nist-xml, nist-json: one NIST SP 1500-100 v2 results report.")
@click.option("--out", "out", type=click.Path(path_type=Path), required=True,
              help="static: the folder to write into (made if missing), to upload as it is to a web server, object "
                   "store or CDN; nist-xml, nist-json: the FILE to write.")
@click.option("--areas/--no-areas", default=True, show_default=True,
              help="static: also write one JSON file per area and centre (their figures and their children's).")
@click.option("--pages/--no-pages", default=True, show_default=True,
              help="static, of the latest bulletin: also write the site's HTML pages (every area, centre and table, "
                   "every language, search, assets) under pages/N/, to serve with no Python.")
@db_option
def bulletin_export(number: int | None, fmt: str, out: Path, areas: bool, pages: bool, db_url: str) -> None:
    """Write bulletin NUMBER (default: the latest) as static files or as a NIST report.

    static: the head (its SHA-256 is the bulletin's hash), the counters of each contest, the node list, a CSV
    per level and, with --areas, one JSON file per area as the API gives it; bulletins.json and
    latest.json are rewritten. With --pages (the default) and the latest bulletin, the whole site as HTML
    under pages/N/ (its document root), files unchanged since the previous export hard-linked to it. Files of a published bulletin never change: serve them with a long
    cache lifetime. The layout is in docs/scaling.md.

    nist-xml, nist-json: one NIST SP 1500-100 v2 election results report with every area, centre and table
    and their exact counts (docs/formats/nist.md).
    """
    store = open_db(db_url)
    shown = services.get_bulletin(store, number)
    if fmt == "static" and not services.publication.is_public(store):
        raise click.ClickException("the publication policy still holds figures: static files are for the public, "
                                   "so none are written until a bulletin is released (docs/formats/election.md)")
    if fmt != "static":
        if out.is_dir():
            raise click.BadParameter(f"{out} is a folder; give the file to write", param_hint="--out")
        done = services.export_nist(store, out, shown.number, format=fmt)
        click.echo(f"Bulletin {done.number}: {fmt} report, {done.bytes / 1e6:,.1f} MB in {out}")
        return
    if out.exists() and not out.is_dir():
        raise click.BadParameter(f"{out} is a file; give a folder for static files", param_hint="--out")
    with click.progressbar(length=len(store.nodes()) if areas else 0, label="areas and centres",
                           file=sys.stderr) as bar:
        done = services.export_bulletin(store, out, shown.number, areas=areas, progress=bar.update)
    click.echo(f"Bulletin {done.number}: {done.files:,} files, {done.bytes / 1e6:,.1f} MB in {out}")
    if not pages:
        return
    latest = store.last_bulletin_head()
    if latest and latest[0] != shown.number:
        click.echo(f"Pages not written: they show the latest bulletin ({latest[0]}), not {shown.number}.", err=True)
        return
    from ..web.static_site import export_site

    election = store.election()
    count = (3 + len(store.bulletin_heads()) + len(election.areas) + len(election.centres) + len(election.tables))
    from ..web.i18n import LANGUAGES

    with click.progressbar(length=count * len(LANGUAGES), label="pages", file=sys.stderr) as bar:
        site = export_site(store, out, progress=bar.update)
    click.echo(f"Pages of bulletin {site.number}: {site.pages:,} pages, {site.files:,} files "
               f"({site.linked:,} shared with the previous export), {site.bytes / 1e6:,.1f} MB new in "
               f"{out / 'pages' / str(site.number)}")


@bulletin.command("list")
@db_option
def bulletin_list(db_url: str) -> None:
    """List published bulletins with their cut-off and hash."""
    store = open_db(db_url)
    click.echo(render_list(services.list_bulletins(store), store.election().time_zone), nl=False)


@bulletin.command("diff")
@click.argument("old", type=int)
@click.argument("new", type=int)
@click.option("--area", "areas", multiple=True, help="Only this area or centre (repeatable).")
@click.option("--all-areas", is_flag=True, help="Every area and centre (default: the country and first level).")
@db_option
def bulletin_diff(old: int, new: int, areas: tuple[str, ...], all_areas: bool, db_url: str) -> None:
    """Show what changed from bulletin OLD to bulletin NEW."""
    store = open_db(db_url)
    election = store.election()
    if areas:
        codes: set[str] | None = set(areas)
    elif all_areas:
        codes = None
    else:
        codes = {a.code for a in election.areas if a.level <= 1}
    changes = services.compare_bulletins(store, old, new, codes)
    click.echo(render_diff(store.bulletin(old), store.bulletin(new), changes), nl=False)



@bulletin.command("certificate")
@click.argument("area_code", metavar="AREA")
@click.option("--number", type=int, help="The bulletin (default: the latest).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="The HTML file to write.")
@click.option("--base-url", required=True, metavar="URL",
              help="The site's public address, such as https://results.example.org: the QR code and the link point "
                   "to the certificate there.")
@click.option("--lang", default=None, help="Language of the certificate (default: the election's).")
@db_option
def bulletin_certificate(area_code: str, number: int | None, out: Path, base_url: str, lang: str | None,
                         db_url: str) -> None:
    """Write a printable, signed results certificate for AREA (HTML).

    The area's figures, the bulletin's SHA-256, the authority's signed tree
    head and a QR code of the certificate's address on the site (also at
    /bulletins/N/certificate/AREA), with room for signatures and stamp.
    """
    from ..web.certificate import render_certificate
    from ..web.i18n import LANGUAGES, Language
    from ..web.pages import Pages

    store = open_db(db_url)
    election = store.election()
    code = lang if lang in LANGUAGES else election.locale.split("_")[0]
    language = Language(code if code in LANGUAGES else "en", election.locale)
    html = render_certificate(Pages(store, None).env, store, number, area_code, base_url, language)
    out.write_text(html, encoding="utf-8")
    click.echo(f"wrote {out}: the results certificate of {area_code}")
