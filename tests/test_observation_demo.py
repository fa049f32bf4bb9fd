"""The demo night's observers, incidents, quick count and claims (issue: independent eyes on the night).

Expected counts come from the demo's own script (services/demo/observation.py, shaped like the 2007
night's published figures); the claim's verdict from the CNE's first bulletin.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from escrutinio import services
from escrutinio.settings import load_settings
from escrutinio.web.app import create_app


@pytest.fixture(scope="module")
def store(demo_night):
    opened = services.open_store(f"sqlite:///{demo_night / 'escrutinio.db'}")
    yield opened
    opened.close()


def test_observer_counts_are_the_nights(store):
    summary = services.observers.summary(store)
    # 64 + 47 international, 1,500 + 500 national, 1,200 + 900 + 600 + 300 media, 40 + 40 party witnesses
    assert summary["kinds"] == {"international": 111, "national": 2000, "media": 3000, "party_witness": 80}


def test_the_quick_count_has_its_sample_and_holds_the_official_count(store):
    found = services.quickcount.status(store)
    assert found["sample"]["size"] == 1500 and found["sample"]["strata"] == "estado"
    a = next(c for c in found["contests"] if c["contest"] == "A")
    assert a["sampled_tables"] == 1500 and a["reports"] > 1400
    assert a["official"] is not None and a["official"]["outside"] == []
    assert services.reports.message_counts(store)["unknown_sender"] == 0


def test_the_2020_claim_and_the_blogs_are_contradicted(store):
    claims = {c["author"]: c for c in services.claims.list_claims(store)}
    agency = claims["Agencia de noticias (demo)"]
    assert agency["verdict"] == "contradicted" and agency["reason"].startswith("NO leads SI by")
    # "the opposition gained less than 100,000 votes over 2006": with 2006 loaded, No's counted votes minus
    # Rosales's 4,292,466 (SOURCES.md) is already +211,888 at bulletin 1, and counting only adds votes.
    blog = claims["Blog de análisis electoral (demo)"]
    assert blog["verdict"] == "contradicted" and "ROSALES 4,292,466" in blog["reason"]


def test_incidents_through_the_night(store):
    listed = services.incidents.list_incidents(store)
    assert 25 <= len(listed) <= 60
    [arrests] = [i for i in listed if i["category"] == "arrest"]
    assert arrests["status"] == "verified" and arrests["description"].startswith("46 personas")
    assert arrests["timeline_entry"] is not None
    harassment = [i for i in listed if i["category"] == "harassment"]
    assert len(harassment) == 2 and harassment[0]["areas"][1] == "TA"
    assert sum(1 for i in harassment if i["duplicate_of"]) == 1


def test_the_home_page_shows_observers_incidents_and_the_quick_count_beside_the_official(store):
    with TestClient(create_app(load_settings(database_url=store.url), store)) as client:
        page = client.get("/?lang=en").text
    assert "Accredited observers" in page and "5.191" in page  # numbers in the election's locale (es_VE)
    assert "Quick count" in page and "not the official count" in page and "Official (bulletin" in page
    assert "Incidents per state" in page and "/incidents?area=TA" in page


def test_the_agency_claim_was_contradicted_by_bulletin_1_and_sits_on_its_entry(store):
    from escrutinio.domain.claims import judge, parse_claim

    [agency] = [c for c in services.claims.list_claims(store) if c["author"] == "Agencia de noticias (demo)"]
    # the CNE's bulletin 1: NO 4,504,354, SI 4,379,392 of 8,883,746 valid: NO ahead by 1.41 points
    contests = {c.code: c.option_codes for c in store.election().contests}
    verdict = judge(parse_claim(agency["statement"], contests), store.bulletin(1).root["results"]["A"], 1)
    assert (verdict.verdict, verdict.reason) == ("contradicted", "NO leads SI by 1.41 points in bulletin 1, "
                                                                 "29,100 of 33,079 tables counted")
    assert agency["quickcount"]["verdict"] == "contradicted" and agency["quickcount"]["reports"] > 1400
    entry = store.entry(agency["entry"])
    assert "seis y ocho puntos" in entry.body and not entry.deleted
    with TestClient(create_app(load_settings(database_url=store.url), store)) as client:
        shown = client.get(f"/api/v1/timeline/entries/{entry.id}").json()
        page = client.get("/timeline?lang=es").text
    assert [c["verdict"] for c in shown["claims"]] == ["contradicted"]
    article = page[page.index(f'id="entry-{entry.id}"'):]
    article = article[:article.index("</article>")]
    assert "Conteo oficial: desmentida" in article and "Conteo rápido (una estimación" in article


def test_the_spanish_home_page_shows_the_quick_count_in_the_locale_with_its_chart_and_the_incident_map(store):
    import re

    with TestClient(create_app(load_settings(database_url=store.url), store)) as client:
        page = client.get("/?lang=es").text
        quick = client.get("/quickcount?lang=es").text
        incidents = client.get("/incidents?lang=es").text
    section = page[page.index('class="observation"'):]
    assert "(boletín " in section and "(bulletin" not in section
    assert not re.search(r"\d\.\d\d\s*%", section)  # es_VE writes 49,49 %, never 49.49 %
    assert re.search(r"\d,\d\d\s*%", section)
    assert section.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart"') == 2  # Bloque A and B
    assert "La estimación a medida que llegaban los reportes, en una tabla" in section
    assert 'class="region area-TA"' in section and "Táchira: 2 incidencias" in section
    assert "<td><a href=\"/incidents?area=TA\">Táchira</a></td>" in section
    assert quick.count("<details class=\"convergence\" open>") == 2
    assert 'class="region area-TA"' in incidents


def test_the_cnes_policy_held_figures_until_bulletin_1_released_them(store):
    policy = store.election().publication
    assert (policy.publish_after, policy.first_bulletin_when) == ("last_polls_close", "85 % of tables counted")
    release = services.publication.release_record(store)
    # bulletin 1 at 01:07: 29,100 of 33,079 tables counted in Bloque A (87.97 %), at least 85 %: released by
    # the policy itself, no override
    assert (release["bulletin"], release["override"], release["operator"]) == (1, False, "policy")
    assert release["at"] == "2007-12-03T05:07:00+00:00" and "of tables counted" in release["reason"]
    assert services.publication.last_polls_close(store.election()).isoformat() == "2007-12-02T16:00:00-04:00"
