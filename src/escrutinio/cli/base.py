"""The `escrutinio` command's root group, shared options and its Markdown reference.

Each command group lives in a module of its own beside this one; ``escrutinio.cli`` imports them all.
"""

from __future__ import annotations

import sys

import click

from .. import services
from ..domain.errors import EscrutinioError
from ..settings import SettingsError, load_settings

ENV_DB = "ESCRUTINIO_DATABASE_URL"

def _database_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str:
    return value or load_settings().database_url


db_option = click.option(
    "--db", "db_url", envvar=ENV_DB, default=None, metavar="URL", callback=_database_url,
    help=f"Database URL (SQLite file or postgresql+psycopg://…); also read from {ENV_DB}. "
         f"Default: the database_url setting ({services.DEFAULT_URL}).")


def open_db(db_url: str):
    store = services.open_store(db_url)
    services.authority.use_key_file(store, load_settings().authority_key_file)
    return store


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

