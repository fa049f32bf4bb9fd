from escrutinio.intake.actas import Record
from escrutinio.services import ingest_records, publish_bulletin

from .factory import acta


def test_counted_acta_reaches_every_level(small_store):
    outcomes = ingest_records(small_store, [Record("test", 1, acta("T1"))])
    assert [o.result for o in outcomes] == ["accepted"]
    bulletin = publish_bulletin(small_store)
    for code in ("X", "N", "N1", "C-N1a"):
        figures = bulletin.area(code)["results"]["Q"]
        assert [o["votes"] for o in figures["options"]] == [60, 40]
    assert [o["votes"] for o in bulletin.area("S")["results"]["Q"]["options"]] == [0, 0]
