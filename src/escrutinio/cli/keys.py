"""Table keys: generate, register, sign."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .. import services
from .base import db_option, main, open_db


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
    store = open_db(db_url)
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
    count = services.keys.register_keys_file(open_db(db_url), file)
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
    written, problems = services.keys.sign_files(open_db(db_url).election(), list(files), secret, out)
    for path in written:
        click.echo(f"wrote {path}")
    for problem in problems:
        click.echo(f"not signed: {problem}")
    if problems:
        sys.exit(1)

