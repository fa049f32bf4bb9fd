"""What the verifier found: problems by kind, counts of what was checked, and the printed report."""

from __future__ import annotations

from dataclasses import dataclass, field

LIST_AT_MOST = 50  # problems of one kind printed; all are counted

# The kinds of problem, in the order the report lists them.
KINDS = {
    "source": "reading the published data",
    "geography": "the published geography",
    "log": "the log and its signed tree heads",
    "keys": "table keys: published against the log",
    "bulletin": "bulletins: hashes, chain and contents",
    "acta": "actas: log against published actas",
    "signature": "acta signatures",
    "replay": "replaying the log",
    "figure": "bulletin figures recomputed from the log",
    "outcome": "contest outcomes recomputed under their rules",
    "projection": "projections recomputed from the counters",
    "status": "current statuses of the actas",
    "timeline": "automatic timeline entries against their bulletins",
}


@dataclass
class Report:
    source: str
    election: str = ""
    trusted: str = ""  # what the observer recorded on the night and gave the verifier to hold to
    problems: dict[str, list[str]] = field(default_factory=lambda: {kind: [] for kind in KINDS})
    counts: dict[str, int] = field(default_factory=dict)
    # Replacements of table keys the log records with their operator and reason: not problems, but listed.
    replacements: list[str] = field(default_factory=list)

    def add(self, kind: str, message: str) -> None:
        self.problems[kind].append(message)

    def count(self, what: str, n: int = 1) -> None:
        self.counts[what] = self.counts.get(what, 0) + n

    @property
    def total(self) -> int:
        return sum(len(found) for found in self.problems.values())

    @property
    def ok(self) -> bool:
        return self.total == 0

    def of(self, kind: str) -> list[str]:
        return self.problems[kind]

    def text(self) -> str:
        c = self.counts.get
        lines = [f"escrutinio verify: {self.source}"]
        if self.election:
            lines.append(f"election: {self.election}")
        lines.append(f"checked: {c('actas', 0):,} published actas, {c('log actas', 0):,} actas in the log, "
                     f"{c('leaves', 0):,} log leaves, {c('signatures', 0):,} acta signatures, "
                     f"{c('bulletins', 0):,} bulletins ({c('counter rows', 0):,} counter rows of areas and centres "
                     f"and {c('figures', 0):,} contest results as shown, recomputed)")
        if self.trusted:
            lines.append(f"held to what was recorded on the night: {self.trusted}")
        for kind, title in KINDS.items():
            found = self.problems[kind]
            if kind == "source" and not found:
                continue
            lines.append(f"{title}: {'ok' if not found else f'{len(found):,} problem(s)'}")
            for message in found[:LIST_AT_MOST]:
                lines.append(f"  - {message}")
            if len(found) > LIST_AT_MOST:
                lines.append(f"  … and {len(found) - LIST_AT_MOST:,} more of this kind (not listed)")
        lines.append(f"table key replacements logged with a reason: {len(self.replacements):,}")
        for text in self.replacements[:LIST_AT_MOST]:
            lines.append(f"  - {text}")
        if len(self.replacements) > LIST_AT_MOST:
            lines.append(f"  … and {len(self.replacements) - LIST_AT_MOST:,} more (not listed)")
        if self.ok:
            lines.append("result: OK — every check holds")
        else:
            lines.append(f"result: FAILED — {self.total:,} problem(s)")
        return "\n".join(lines) + "\n"
