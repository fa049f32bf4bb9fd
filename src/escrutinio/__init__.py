"""escrutinio: count, verify and publish an election or referendum night."""

from .domain.bulletin import Bulletin
from .domain.errors import (ActaRejected, AlreadyInitialised, DefinitionError, EscrutinioError, NotFound,
                            NotInitialised, Problem, ResolutionError)
from .domain.model import Acta, ActaRecord, Area, Centre, Contest, Election, Option, Table
from .domain.percent import PercentRule
from .services import (IngestReport, Outcome, compare_bulletins, get_bulletin, ingest_files, ingest_records,
                       init_election, list_bulletins, open_store, publish_bulletin, resolve_conflict, run_demo)

__version__ = "0.1.0"

__all__ = [
    "Acta",
    "ActaRecord",
    "ActaRejected",
    "AlreadyInitialised",
    "Area",
    "Bulletin",
    "Centre",
    "Contest",
    "DefinitionError",
    "Election",
    "EscrutinioError",
    "IngestReport",
    "NotFound",
    "NotInitialised",
    "Option",
    "Outcome",
    "PercentRule",
    "Problem",
    "ResolutionError",
    "Table",
    "compare_bulletins",
    "get_bulletin",
    "ingest_files",
    "ingest_records",
    "init_election",
    "list_bulletins",
    "open_store",
    "publish_bulletin",
    "resolve_conflict",
    "run_demo",
]
