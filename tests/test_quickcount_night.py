"""The night's quick count: a saved sample, observers' result reports, GET /api/v1/quickcount and the
official count checked against the quick count's interval."""

from __future__ import annotations

import hashlib

import pytest
from fastapi.testclient import TestClient

from escrutinio import services
from escrutinio.intake.actas import Record
from escrutinio.settings import load_settings
from escrutinio.web.app import create_app

from .factory import acta

TABLES = ["T1", "T2", "T3", "T4", "T5", "T6"]


def two_sampled(seed: str) -> list[str]:
    """The documented draw by hand: one stratum, the two smallest SHA-256("seed:table")."""
    return sorted(TABLES, key=lambda t: hashlib.sha256(f"{seed}:{t}".encode()).hexdigest())[:2]


@pytest.fixture
def night(small_store, tmp_path):
    path = tmp_path / "observers.csv"
    path.write_text("accreditation,kind,organisation,name,phones,assignment,status\n"
                    "NAT-1,national,Ojo Electoral,Carla,+58 414 555 0101,,\n")
    services.observers.import_observers(small_store, path)
    return small_store


def report(store, text):
    observer_id = store.observer_id("NAT-1")
    _, observer = store.observer_by_id(observer_id)
    return services.reports.submit_web(store, observer_id, observer, text, "test")


def official(store, yes: int):
    records = [acta(t, votes={"YES": yes, "NO": 100 - yes}) for t in TABLES]
    services.ingest_records(store, [Record("test", n, r) for n, r in enumerate(records, 1)])
    services.publish_bulletin(store)


@pytest.mark.parametrize("official_yes, outside", [(55, []), (70, ["YES", "NO"])])
def test_estimate_and_the_official_check(night, official_yes, outside):
    seed = "2007-12-02 loteria 07 31"
    first, second = two_sampled(seed)
    services.quickcount.save_sample(night, seed, 2)
    report(night, f"RES {first} Q YES=60 NO=40")
    report(night, f"RES {second} Q YES=40 NO=60")
    not_sampled = next(t for t in TABLES if t not in (first, second))
    report(night, f"RES {not_sampled} Q YES=99 NO=1")
    official(night, official_yes)
    with TestClient(create_app(load_settings(database_url=night.url), night)) as client:
        body = client.get("/api/v1/quickcount").json()
    assert body["sample"]["seed"] == seed and body["reports_outside_sample"] == 1
    q = next(c for c in body["contests"] if c["contest"] == "Q")
    assert (q["sampled_tables"], q["reports"]) == (2, 2)
    # p = 0.5; residuals ±10, s² = 200; V = 6² (1 - 2/6) 200 / 2 / 600² = 1/150; margin = 1.96 √(1/150)
    yes = q["options"][0]
    assert yes["share"] == pytest.approx(0.5) and yes["margin"] == pytest.approx(1.96 * (1 / 150) ** 0.5)
    assert q["official"]["bulletin"] == 1
    assert q["official"]["options"][0]["share"] == pytest.approx(official_yes / 100)
    assert q["official"]["outside"] == outside
    assert "not the official count" in body["note"]


def test_before_a_sample_and_before_a_bulletin(night):
    assert services.quickcount.status(night)["sample"] is None
    services.quickcount.save_sample(night, "s", 3)
    found = services.quickcount.status(night)
    assert all(c["official"] is None and c["reports"] == 0 for c in found["contests"])
