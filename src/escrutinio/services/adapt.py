"""Turn other systems' result files into an election definition and acta files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..domain.errors import Problem
from ..intake.adapters import Bundle, adapt_clarity, adapt_nist, adapt_onegov_vote, adapt_tse_br, write_bundle
from ..intake.adapters.tse_br import OFFICES

__all__ = ["OFFICES", "Adapted", "adapt_clarity_file", "adapt_nist_file", "adapt_onegov_vote_files", "adapt_tse_br_file"]


@dataclass(frozen=True)
class Adapted:
    written: list[Path]
    problems: list[Problem]
    notes: list[str]


def _write(bundle: Bundle, out: str | Path) -> Adapted:
    return Adapted(list(write_bundle(bundle, Path(out))), list(bundle.problems), list(bundle.notes))


def adapt_tse_br_file(path: str | Path, out: str | Path, **options) -> Adapted:
    """Brazil's TSE per-section results of one state → files in ``out`` (options: see ``adapt_tse_br``)."""
    return _write(adapt_tse_br(path, **options), out)


def adapt_onegov_vote_files(paths: list[str | Path], out: str | Path, canton: str | None = None) -> Adapted:
    """OneGov vote exports (say an intermediate and the final one) → files in ``out``."""
    return _write(adapt_onegov_vote(paths, canton=canton), out)


def adapt_nist_file(path: str | Path, out: str | Path) -> Adapted:
    """A NIST SP 1500-100 v2 results report (XML or JSON) → a new election's files in ``out``."""
    return _write(adapt_nist(path), out)


def adapt_clarity_file(path: str | Path, out: str | Path) -> Adapted:
    """A Clarity detail XML file (precinct or county level) → a new election's files in ``out``."""
    return _write(adapt_clarity(path), out)
