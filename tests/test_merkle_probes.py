"""A peer's test suite for RFC 6962 proofs: the 196 probes of transparency-dev/merkle, run against both
Merkle verifiers (the project's and escrutinio verify's own); each must give the answer the probe wants.

The probes, their source and licence are in tests/data/merkle-probes/.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from escrutinio.domain import merkle
from escrutinio.verify import proofs

PROBES = Path(__file__).parent / "data" / "merkle-probes"
FILES = sorted(PROBES.rglob("*.json"))


def _raw(text: str | None) -> bytes:
    return base64.b64decode(text or "")


def _answers(path: Path) -> tuple[bool, bool, bool]:
    """(wanted, the project's answer, the verifier's answer): True when the proof is valid."""
    probe = json.loads(path.read_text(encoding="utf-8"))
    proof = [_raw(item) for item in probe.get("proof") or []]
    if path.relative_to(PROBES).parts[0] == "inclusion":
        args = (_raw(probe["leafHash"]), probe["leafIdx"], probe["treeSize"], proof, _raw(probe["root"]))
        return not probe["wantErr"], merkle.verify_inclusion(*args), proofs.inclusion_ok(*args)
    args = (probe["size1"], probe["size2"], proof, _raw(probe["root1"]), _raw(probe["root2"]))
    return not probe["wantErr"], merkle.verify_consistency(*args), proofs.consistency_ok(*args)


def test_all_196_probes_are_here():
    kinds = [path.relative_to(PROBES).parts[0] for path in FILES]
    assert (len(FILES), kinds.count("inclusion"), kinds.count("consistency")) == (196, 98, 98)
    assert (PROBES / "LICENSE").read_text(encoding="utf-8").startswith("\n                                 Apache "
                                                                       "License")


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(PROBES)) for p in FILES])
def test_both_verifiers_answer_every_probe_as_it_wants(path):
    wanted, project, verifier = _answers(path)
    assert (project, verifier) == (wanted, wanted)


def test_the_probes_hold_both_answers():
    """Not a suite of refusals only: the probes want some proofs accepted, and both verifiers do."""
    wanted = [_answers(path)[0] for path in FILES]
    assert sum(wanted) == 12  # counted in the files: 12 valid proofs, 184 that must be refused
