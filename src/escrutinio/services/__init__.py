"""Use cases: the Python API that the CLI and the web app are thin shells over.

Each function owns its transactions; state is read from and written to a
:class:`~escrutinio.store.Store` opened with :func:`open_store`.
"""

from . import (adapt, authority, claims, comparison, incidents, keys, log, observers, publication, published, quickcount,
               reports, timeline, tokens, upkeep, webhooks)
from .bulletins import compare_bulletins, current_tally, get_bulletin, list_bulletins, publish_bulletin
from .demo import run_demo
from .election import DEFAULT_URL, init_election, open_store
from .export import export_bulletin, export_nist
from .intake import IngestReport, Outcome, ingest_files, ingest_records
from .resolve import annul_acta, recount, resolve_conflict

__all__ = [
    "DEFAULT_URL",
    "IngestReport",
    "Outcome",
    "annul_acta",
    "compare_bulletins",
    "current_tally",
    "export_bulletin",
    "export_nist",
    "get_bulletin",
    "ingest_files",
    "ingest_records",
    "init_election",
    "list_bulletins",
    "open_store",
    "publish_bulletin",
    "recount",
    "resolve_conflict",
    "run_demo",
]
