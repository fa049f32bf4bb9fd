"""Observers: the accreditation registry, its import, its public counts and observer tokens."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from escrutinio import services
from escrutinio.cli import main
from escrutinio.domain.errors import NotFound, ObservationRejected
from escrutinio.domain.observation import normalise_phone
from escrutinio.services.tokens import Forbidden, authenticate
from escrutinio.settings import load_settings
from escrutinio.web.app import create_app

HEADER = "accreditation,kind,organisation,name,phones,assignment,status\n"
GOOD = HEADER + (
    "INT-001,international,Carter Center,Ana Uno,+1 202 555 0101,,\n"
    "INT-002,international,Carter Center,Beto Dos,+1 202 555 0102;+1 202 555 0103,C-N1a,\n"
    "NAT-001,national,Ojo Electoral,Carla Tres,+58 414-555 0101,T5,\n"
    "NAT-002,national,Ojo Electoral,Dario Cuatro,0058 414 555 0102,,pending\n"
    "MED-001,media,El Diario,Eva Cinco,+58 212 555 0100,,\n"
    "PTY-001,party witness,Partido X,Fede Seis,+58 416 555 0101,T1,revoked\n")


def write(tmp_path, text, name="observers.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("text, digits", [("+58 414-555 0101", "584145550101"), ("0058 (414) 555.0101", "584145550101"),
                                          ("tel:+250788123456", "250788123456"), ("12345", None), ("+58 414 abc", None)])
def test_phones_are_normalised_to_international_digits(text, digits):
    assert normalise_phone(text) == digits


def test_import_then_public_counts_per_kind_and_organisation(small_store, tmp_path):
    report = services.observers.import_observers(small_store, write(tmp_path, GOOD))
    assert (report.created, report.updated) == (6, 0)
    summary = services.observers.summary(small_store)
    # accredited: two international (Carter Center), one national (NAT-002 is pending), one media
    assert summary["accredited"] == 4
    assert summary["kinds"] == {"international": 2, "national": 1, "media": 1, "party_witness": 0}
    assert summary["organisations"] == [
        {"organisation": "Carter Center", "kind": "international", "observers": 2},
        {"organisation": "El Diario", "kind": "media", "observers": 1},
        {"organisation": "Ojo Electoral", "kind": "national", "observers": 1}]
    assert summary["statuses"] == {"accredited": 4, "pending": 1, "revoked": 1}


def test_importing_again_updates_by_accreditation(small_store, tmp_path):
    services.observers.import_observers(small_store, write(tmp_path, GOOD))
    again = services.observers.import_observers(small_store, write(
        tmp_path, HEADER + "NAT-002,national,Ojo Electoral,Dario Cuatro,+58 414 555 0199,T2,accredited\n", "b.csv"))
    assert (again.created, again.updated) == (0, 1)
    found = {o.accreditation: o for o in services.observers.list_observers(small_store)}
    assert found["NAT-002"].phones == ("584145550199",) and found["NAT-002"].assignment == "T2"
    assert services.observers.summary(small_store)["kinds"]["national"] == 2


def test_an_import_lists_every_problem_and_imports_nothing(small_store, tmp_path):
    services.observers.import_observers(small_store, write(tmp_path, HEADER + "OLD-1,media,R,Old,+58 212 555 0999,,\n"))
    bad = HEADER + (
        "A-1,observer,Carter Center,Ana,+1 202 555 0101,,\n"          # row 2: unknown kind
        "A-2,national,,Beto,+1 202 555 0102,,\n"                     # row 3: no organisation
        "A-3,national,Ojo,Carla,555,,\n"                             # row 4: not a phone
        "A-4,national,Ojo,Dario,+58 414 555 0102,T99,\n"             # row 5: unknown assignment
        "A-5,national,Ojo,Eva,+58 414 555 0102,,maybe\n"            # row 6: bad status; phone of row 5
        "A-4,national,Ojo,Fede,+58 414 555 0103,,\n"                 # row 7: accreditation of row 5
        "A-7,national,Ojo,Gina,+58 212 555 0999,,\n"                 # row 8: phone already OLD-1's
        "A-8,national,Ojo\n")                                        # row 9: too few cells
    with pytest.raises(ObservationRejected) as caught:
        services.observers.import_observers(small_store, write(tmp_path, bad))
    found = {(p.row, p.field) for p in caught.value.problems}
    assert found == {(2, "kind"), (3, "organisation"), (4, "phones"), (5, "assignment"), (6, "status"),
                     (6, "phones"), (7, "accreditation"), (8, "phones"), (9, "")}
    assert "use one of international, national, media, party_witness" in str(caught.value)
    assert "phone +582125550999 already belongs to observer 'OLD-1'" in str(caught.value)
    assert [o.accreditation for o in services.observers.list_observers(small_store)] == ["OLD-1"]


def test_a_file_with_a_missing_column_is_refused_whole(small_store, tmp_path):
    with pytest.raises(ObservationRejected, match="missing column.s. phones; unknown column.s. phone"):
        services.observers.import_observers(small_store, write(tmp_path, "accreditation,kind,organisation,name,phone\n"))


def test_an_observer_token_is_scoped_to_the_assignment(small_store, tmp_path):
    services.observers.import_observers(small_store, write(tmp_path, GOOD))
    _, secret = services.observers.create_observer_token(small_store, "INT-002")  # assigned to centre C-N1a
    who = authenticate(small_store, secret, "observer")
    assert who["role"] == "observer"
    _, observer = services.observers.observer_of(small_store, who)
    services.observers.check_in_scope(small_store, observer, "T1")
    services.observers.check_in_scope(small_store, observer, "T2")
    with pytest.raises(Forbidden, match="outside observer 'INT-002'"):
        services.observers.check_in_scope(small_store, observer, "T3")
    _, anywhere = services.observers.observer_of(small_store, authenticate(
        small_store, services.observers.create_observer_token(small_store, "INT-001")[1], "observer"))
    services.observers.check_in_scope(small_store, anywhere, "T6")
    with pytest.raises(ObservationRejected, match="only accredited observers get tokens"):
        services.observers.create_observer_token(small_store, "NAT-002")
    with pytest.raises(NotFound):
        services.observers.create_observer_token(small_store, "NOPE")
    _, plain = services.tokens.create_token(small_store, "reader", "observer")
    assert services.observers.observer_of(small_store, authenticate(small_store, plain, "observer")) is None


def test_the_summary_api_gives_counts_and_never_names_or_phones(small_store, tmp_path):
    services.observers.import_observers(small_store, write(tmp_path, GOOD))
    with TestClient(create_app(load_settings(database_url=small_store.url), small_store)) as client:
        response = client.get("/api/v1/observers/summary")
    assert response.status_code == 200
    assert response.json()["kinds"]["international"] == 2
    for private in ("Ana Uno", "Beto", "2025550101", "555 0101", "INT-001"):
        assert private not in response.text


def test_the_cli_imports_and_prints_the_summary(small_store, db_url, tmp_path):
    done = CliRunner().invoke(main, ["observers", "import", str(write(tmp_path, GOOD)), "--db", db_url])
    assert done.exit_code == 0 and "6 observer(s) added, 0 updated" in done.output
    done = CliRunner().invoke(main, ["observers", "summary", "--db", db_url])
    assert '"accredited": 4' in done.output and "Ana" not in done.output
    done = CliRunner().invoke(main, ["observers", "import", str(write(tmp_path, HEADER + "X,spy,O,N,+1 202 555 0199,,\n",
                                                                      "bad.csv")), "--db", db_url])
    assert done.exit_code == 1 and "row 2, field 'kind': unknown kind 'spy'" in done.output


def test_the_documented_template_imports_clean(tmp_path):
    from pathlib import Path

    docs = Path(__file__).resolve().parents[1] / "docs" / "formats" / "templates"
    store = services.open_store(f"sqlite:///{tmp_path / 't.db'}")
    services.init_election(store, docs / "election" / "election.toml")
    report = services.observers.import_observers(store, docs / "observers.csv")
    assert (report.created, report.updated) == (4, 0)
    assert services.observers.summary(store)["kinds"] == {"international": 1, "national": 1, "media": 1,
                                                          "party_witness": 0}
    store.close()
