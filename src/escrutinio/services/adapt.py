"""Turn other systems' result files into an election definition and acta files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..domain.errors import Problem
from ..intake.adapters import Bundle, adapt_onegov_vote, adapt_tse_br, write_bundle
from ..intake.adapters.tse_br import OFFICES

__all__ = ["OFFICES", "Adapted", "adapt_onegov_vote_files", "adapt_tse_br_file"]


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
