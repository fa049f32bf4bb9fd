"""`escrutinio verify`: the independent check."""

from __future__ import annotations

import sys

import click

from .base import main


def _authority_key(_ctx, _param, value: str | None) -> str | None:
    from ..verify.common import b64

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
@click.option("--max-download", metavar="MB", type=click.IntRange(1), default=1024, show_default=True,
              help="With --url: the most megabytes one response of the site may have; a larger one is cut "
                   "off and reported.")
def verify(db_url: str | None, site: str | None, authority_key: str | None, expected: dict[int, str],
           max_download: int) -> None:
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
    from ..verify import verify_source

    report = verify_source(db=db_url, url=site, authority_key=authority_key, expect=expected or None,
                           max_download=max_download * 1024 * 1024)
    click.echo(report.text(), nl=False)
    sys.exit(0 if report.ok else 1)

