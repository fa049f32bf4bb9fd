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
    """Register the tables' public keys from FILE (CSV: table,public_key).

    A table already registered with the same key is left as it is; one with
    a different key refuses the whole file (use `keys replace`).
    """
    count = services.keys.register_keys_file(open_db(db_url), file)
    click.echo(f"registered {count:,} public keys")


@keys.command("replace")
@click.argument("table")
@click.option("--public-key", "public_key", required=True, metavar="BASE64",
              help="The table's new Ed25519 public key (32 bytes of base64, as in table-keys.csv).")
@click.option("--reason", required=True, help="Why the key is replaced (public, in the log).")
@click.option("--operator", required=True, help="Who replaces it (public, in the log).")
@db_option
def keys_replace(table: str, public_key: str, reason: str, operator: str, db_url: str) -> None:
    """Replace TABLE's registered key (admin only: on the results centre's database).

    The replacement is logged with its reason and operator, shown on the
    table's public page and listed by `escrutinio verify`. Actas signed
    with the new key count from then on; those logged before keep being
    checked with the old one. `keys register` never changes a key.
    """
    raw = services.keys.parse_public_key(public_key)
    if raw is None:
        raise click.BadParameter("not an Ed25519 public key: 32 bytes of base64", param_hint="--public-key")
    record = services.keys.replace_key(open_db(db_url), table, raw, reason, operator)
    click.echo(f"table {table}: key {record['previous_key']} replaced by {record['key']} (logged with the reason)")


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



@keys.command("export-authority")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The new file for the authority's private key (mode 0600; never written over).")
@click.option("--remove", is_flag=True,
              help="Also take the private key out of the database (SQLite: the file is compacted too). Then "
                   "set authority_key_file to --out wherever bulletins are published.")
@db_option
def keys_export_authority(out: Path, remove: bool, db_url: str) -> None:
    """Move the authority's private key out of a store that keeps it in the database.

    Stores made before `init --authority-key-file` keep the key that signs
    tree heads in the database, so every dump carries it. This writes it to
    --out, the owner's alone; with --remove the database keeps only the
    public key, and bulletins are signed from the file.
    """
    public = services.authority.export_key(open_db(db_url), out, remove=remove)
    click.echo(f"wrote the authority's private key to {out} (mode 0600); public key "
               f"{services.keys.signatures.encode(public)}")
    click.echo("removed it from the database: set authority_key_file (ESCRUTINIO_AUTHORITY_KEY_FILE) to "
               f"{out} wherever bulletins are published" if remove else
               "it is still in the database too: once the file is stored safely, run this again with --remove")
