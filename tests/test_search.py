"""Search over areas, centres and tables: the index (folding, ranking) and its two routes."""

from __future__ import annotations

import dataclasses
import unicodedata

from fastapi.testclient import TestClient
from hypothesis import given, settings, strategies as st

from escrutinio.domain.model import Area, Centre, Table
from escrutinio.publish.search import SearchIndex, fold
from escrutinio.settings import load_settings
from escrutinio.web.app import create_app

from .factory import small_election


def _accented():
    """The small election with names as a real country writes them (accents, a shared word, a code with a dash)."""
    base = small_election()
    areas = (Area("X", "País", 0, None), Area("ME", "Mérida", 1, "X"), Area("ZU", "Zulia", 1, "X"),
             Area("ME-01", "Libertador", 2, "ME"), Area("ZU-07", "Piñango", 2, "ZU"),
             Area("ZU-08", "Mérida Sur", 2, "ZU"))
    centres = (Centre("ME-01-001", "Escuela Mérida", "ME-01"), Centre("ZU-07-001", "Liceo Piñango", "ZU-07"),
               Centre("ZU-08-001", "Grupo Escolar", "ZU-08"))
    tables = (Table("ME-01-001-1", "ME-01-001", 300, ("Q",)), Table("ZU-07-001-1", "ZU-07-001", 200, ("Q",)),
              Table("ZU-07-001-2", "ZU-07-001", 200, ("Q",)), Table("ZU-08-001-1", "ZU-08-001", 100, ("Q",)))
    return dataclasses.replace(base, areas=areas, centres=centres, tables=tables,
                               levels=("país", "estado", "municipio"))


def test_fold_drops_accents_case_and_punctuation():
    assert fold("Mérida") == fold("MERIDA") == fold("merida") == "merida"
    assert fold("ZU-07") == fold("zu 07") == fold("zu07") == "zu07"
    assert fold("Piñango") == "pinango"


@given(st.text(max_size=30))
@settings(max_examples=200)
def test_fold_is_idempotent_and_keeps_only_unaccented_letters_and_digits(text):
    folded = fold(text)
    assert fold(folded) == folded
    assert all(ch.isalnum() and not unicodedata.combining(ch) for ch in folded)


def test_a_name_without_its_accent_finds_the_estado_first():
    index = SearchIndex(_accented())
    hits = index.search("merida")
    # the estado, then the municipio whose name starts so, then the centre whose name has it as a later word
    assert [(h.code, h.kind, h.level) for h in hits] == [
        ("ME", "area", "estado"), ("ZU-08", "area", "municipio"), ("ME-01-001", "centre", "centre")]
    assert hits[0].url == "/areas/ME" and hits[0].name == "Mérida"


def test_a_code_finds_its_area_first_then_what_is_under_it():
    hits = SearchIndex(_accented()).search("zu-07")
    assert hits[0].code == "ZU-07" and hits[0].kind == "area"
    assert {h.code for h in hits[1:]} == {"ZU-07-001", "ZU-07-001-1", "ZU-07-001-2"}
    assert [h.kind for h in hits] == ["area", "centre", "table", "table"]


def test_a_table_code_returns_that_table_first():
    hits = SearchIndex(_accented()).search("zu-07-001-2")
    assert [(h.code, h.kind, h.url, h.context) for h in hits] == [
        ("ZU-07-001-2", "table", "/tables/ZU-07-001-2", "Liceo Piñango")]


def test_nothing_for_an_empty_or_unknown_query_and_the_limit_holds():
    index = SearchIndex(_accented())
    assert index.search("") == [] and index.search("  -- ") == [] and index.search("Nowhere") == []
    assert len(index.search("z", limit=2)) == 2


def _client(store) -> TestClient:
    return TestClient(create_app(load_settings(database_url=store.url, rate_limit_per_second=0), store))


def test_search_api_and_page(small_store):
    with _client(small_store) as client:
        body = client.get("/api/v1/search", params={"q": "north"}).json()
        assert body["query"] == "north"
        assert [(r["code"], r["kind"], r["url"]) for r in body["results"]] == [
            ("N", "area", "/areas/N"), ("N1", "area", "/areas/N1"), ("N2", "area", "/areas/N2")]
        assert set(body["results"][0]) == {"code", "name", "kind", "level", "url", "context"}
        assert client.get("/api/v1/search", params={"q": "t5"}).json()["results"][0]["url"] == "/tables/T5"
        page = client.get("/search", params={"q": "school"})
        assert page.status_code == 200 and 'href="/areas/C-N1a"' in page.text and 'href="/areas/C-N1b"' in page.text
        # the box is on every page, and on the 404 page beside the way back
        for url in ("/", "/areas/N", "/bulletins"):
            assert 'role="search"' in client.get(url).text, url
        missing = client.get("/areas/NOPE")
        assert missing.status_code == 404 and missing.text.count('role="search"') == 2 and 'href="/"' in missing.text


def test_the_index_is_built_once_per_election(small_store, monkeypatch):
    from escrutinio.web import search as web_search

    built = []
    real = web_search.SearchIndex
    monkeypatch.setattr(web_search, "SearchIndex", lambda election: built.append(1) or real(election))
    with _client(small_store) as client:
        for q in ("north", "south", "t1", "school"):
            assert client.get("/api/v1/search", params={"q": q}).status_code == 200
            assert client.get("/search", params={"q": q}).status_code == 200
    assert len(built) == 1
