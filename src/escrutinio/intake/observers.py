"""Read an observers file (CSV): one row per accredited observer.

Columns: ``accreditation``, ``kind``, ``organisation``, ``name``, ``phones``
(several separated by ``;``), ``assignment`` (a centre or table code, may be
empty) and ``status`` (may be empty: accredited). Documented in
docs/observers.md with a template.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from ..domain.errors import Problem

COLUMNS = ("accreditation", "kind", "organisation", "name", "phones", "assignment", "status")
REQUIRED = ("accreditation", "kind", "organisation", "name", "phones")
HEADER_HELP = "the header needs accreditation, kind, organisation, name, phones (and may have assignment, status)"


def read_observers(path: str | Path) -> Iterator[tuple[int, dict[str, str] | None, list[Problem]]]:
    """(row number, the row's fields, problems) for each row; a file-wide problem comes as row 0 or 1."""
    source = str(path)
    try:
        with Path(path).open(newline="", encoding="utf-8-sig") as handle:
            lines = list(csv.reader(handle))
    except OSError as exc:
        yield 0, None, [Problem("", f"cannot read: {exc.strerror}", "check the file name and its permissions", source)]
        return
    except (UnicodeDecodeError, csv.Error) as exc:
        yield 0, None, [Problem("", f"not a readable UTF-8 CSV file ({exc})", "save the file as UTF-8 CSV", source)]
        return
    header = [h.strip().lower() for h in lines[0]] if lines else []
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    if missing or unknown:
        what = "; ".join(filter(None, [missing and f"missing column(s) {', '.join(missing)}",
                                      unknown and f"unknown column(s) {', '.join(unknown)}"]))
        yield 1, None, [Problem(",".join(missing + unknown), what, HEADER_HELP, source, 1)]
        return
    for n, cells in enumerate(lines[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            yield n, None, [Problem("", f"{len(cells)} cells where the header has {len(header)}",
                                    "give every row exactly one cell per column", source, n)]
            continue
        yield n, dict(zip(header, cells)), []
