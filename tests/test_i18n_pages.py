"""Every page of the demo night in English says everything in English; whatever is in another language (the
night's own texts: timeline entries, reasons typed by operators, incident descriptions) carries its ``lang``.

The words looked for come from the Spanish catalogue (every word of a Spanish translation that no English
translation uses) and from the issue's list of what English pages used to show; names from the election's
definition (areas, centres, contests, options) are data, not words to translate, and are left out.
"""

from __future__ import annotations

import re

import lxml.html
import pytest
from fastapi.testclient import TestClient

from escrutinio import services
from escrutinio.domain.model import SET_ASIDE
from escrutinio.settings import load_settings
from escrutinio.web import catalogues
from escrutinio.web.app import create_app
from escrutinio.web.i18n import LANGUAGES, po_path

# What English pages of the demo showed before every word was translated (issue: "Mixed languages").
SEEN_BEFORE = ["Results by estado", "Results by municipio", "Results by parroquia", "(estado · ", "(país · ",
               "(municipio · ", "(parroquia · ", "Percent rule: truncate", " 0 conflict", "Decided: Decided:",
               "resolved_set_aside", "resolved_counted", "set_aside", "not_received", "no area 'NOPE'",
               "Incidents per estado", "quarantined"]
SPANISH_LEVELS = {"país", "estado", "municipio", "parroquia"}


@pytest.fixture(scope="module")
def store(demo_night):
    opened = services.open_store(f"sqlite:///{demo_night / 'escrutinio.db'}")
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def client(store):
    with TestClient(create_app(load_settings(database_url=store.url), store)) as opened:
        yield opened


def _words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[^\W\d_]{4,}", text)}


@pytest.fixture(scope="module")
def spanish_words(store) -> set[str]:
    """Words of the Spanish catalogue that no English text uses and that no name of the election contains."""
    es = catalogues._read(po_path("es"), "es")
    en = catalogues._read(po_path("en"), "en")
    spanish = set().union(*(_words(m.string) for m in es if m.id and isinstance(m.string, str)))
    english = set().union(*(_words(m.string) | _words(m.id) for m in en if m.id and isinstance(m.string, str)))
    election = store.election()
    previous = services.comparison.get_previous(store)  # the earlier election's name is data too
    names = " ".join(["escrutinio", previous.name if previous else ""] + [a.name for a in election.areas] + [c.name for c in election.centres]
                     + [c.name for c in election.contests] + [o.name for c in election.contests for o in c.options])
    return spanish - english - _words(names)


@pytest.fixture(scope="module")
def urls(store) -> list[str]:
    """One of every kind of page of the demo: areas at each level, a centre, tables whose actas were held for
    review, in conflict or set aside, the bulletins, the timeline and an entry, observation pages, a 404."""
    election = store.election()
    found = ["/", "/areas", "/bulletins", "/bulletins/1", "/timeline", "/incidents", "/claims", "/observe",
             "/areas/NOPE", "/tables/NOPE", "/bulletins/999", "/no/such/page"]
    for level in range(len(election.levels)):
        found.append(f"/areas/{next(a.code for a in election.areas if a.level == level)}")
    found.append(f"/areas/{election.centres[0].code}")
    found.append(f"/tables/{election.tables[0].code}")
    wanted = {SET_ASIDE: None, "with reasons": None}  # a conflict resolved; an acta that broke a rule
    for record in store.actas():
        if record.status == SET_ASIDE and wanted[SET_ASIDE] is None:
            wanted[SET_ASIDE] = record.acta.table
        if record.reasons and wanted["with reasons"] is None:
            wanted["with reasons"] = record.acta.table
    assert all(wanted.values()), f"the demo has no such acta: {wanted}"
    found += [f"/tables/{table}" for table in wanted.values()]
    latest = services.list_bulletins(store)[-1]
    found.append(f"/bulletins/{latest['number']}")
    found.append(f"/bulletins/1/certificate/{election.root.code}")
    found.append("/quickcount")
    found.append("/comparison")
    entry = services.timeline.read_timeline(store).entries[0]
    found.append(f"/timeline/entries/{entry.id}")
    return found


def _texts(html: str, page_language: str) -> tuple[str, list[tuple[str, str]]]:
    """The text a reader reads in the page's language, and (language, text) of every part marked otherwise."""
    root = lxml.html.fromstring(html)
    # <title> cannot mark a part of its text (the election's name) with lang: it is left out
    for dropped in root.xpath("//script|//style|//svg|//title"):
        dropped.getparent().remove(dropped)
    own, marked = [], []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        for text, holder in ((element.text, element), (element.tail, element.getparent())):
            if not text or not text.strip() or holder is None:
                continue
            language = next((e.get("lang") for e in [holder, *holder.iterancestors()] if e.get("lang")), None)
            if language is None or language == page_language:
                own.append(text)
            else:
                marked.append((language, text))
        for attribute in ("title", "aria-label", "alt", "placeholder"):
            if element.get(attribute):
                own.append(element.get(attribute))
    return " ".join(own), marked


def test_english_pages_of_the_demo_say_nothing_in_spanish(client, urls, spanish_words):
    assert len(spanish_words) > 100  # the catalogue's own words: the check below looks for something
    for url in urls:
        response = client.get(url, params={"lang": "en"})
        assert response.status_code in (200, 404), url
        assert '<html lang="en">' in response.text, url
        text, marked = _texts(response.text, "en")
        text = re.sub(r"\s+", " ", text)
        for seen in SEEN_BEFORE:
            assert seen not in text, (url, seen)
        words = _words(text)
        assert not words & SPANISH_LEVELS, (url, words & SPANISH_LEVELS)
        assert not words & spanish_words, (url, sorted(words & spanish_words))
        for language, text in marked:  # the night's own texts; each language's name in the language menu
            assert language == "es" or text.strip() in LANGUAGES.values(), (url, language, text)


def test_spanish_pages_show_no_raw_codes_and_no_english_reasons(client, urls):
    english_reasons = ("ballots cast", "registered voters", "options + null", "allowed extra")
    for url in urls:
        response = client.get(url, params={"lang": "es"})
        text, marked = _texts(response.text, "es")
        for code in ("quarantined", "resolved_set_aside", "resolved_counted", "set_aside", "conflicting",
                     "not_received", "no area 'NOPE'"):
            assert code not in text, (url, code)
        for words in english_reasons:
            assert words not in text, (url, words)


def test_the_spanish_timeline_is_marked_on_english_pages(client):
    html = client.get("/timeline", params={"lang": "en"}).text
    assert re.search(r'<div class="tl-body" lang="es">', html)
    assert not re.search(r'<div class="tl-body" lang=', client.get("/timeline", params={"lang": "es"}).text)


def test_a_quarantined_acta_gives_its_reason_in_each_language(client, store):
    record = next(r for r in store.actas() if r.reasons)
    stored = record.reasons[0]
    numbers = [int(n.replace(",", "")) for n in re.findall(r"\d[\d,]*", stored)]
    for language, words in (("en", "ballots"), ("es", "votos"), ("pt_BR", "votos"), ("de_CH", "Stimm")):
        text, _ = _texts(client.get(f"/tables/{record.acta.table}", params={"lang": language}).text,
                         language.replace("_", "-"))
        reasons = re.search(r"(?:Reasons|Motivos|Gründe): ([^\n]*)", text)
        assert reasons and words in reasons.group(1), (language, text[:300])
        shown = [int(re.sub(r"\D", "", n)) for n in re.findall(r"\d[\d.’']*", reasons.group(1))]
        assert set(numbers) <= set(shown), (language, numbers, shown)


def test_the_404_page_says_what_was_not_found_in_the_readers_language(client):
    for language, said in (("en", "There is no area with the code “NOPE”."),
                           ("es", "No hay ningún área con el código «NOPE»."),
                           ("pt_BR", "Não há área com o código “NOPE”."),
                           ("de_CH", "Es gibt kein Gebiet mit dem Code «NOPE».")):
        response = client.get("/areas/NOPE", params={"lang": language})
        assert response.status_code == 404 and said in response.text, language
    assert client.get("/api/v1/areas/NOPE").json()["detail"] == "no area 'NOPE'"  # the API keeps its words


def test_every_time_shown_carries_its_zone(client, urls):
    for url in urls:
        html = client.get(url, params={"lang": "en"}).text
        for shown in re.findall(r"<time [^>]*>([^<]*)</time>", html):
            assert re.search(r"(UTC[+-]\d\d:\d\d|[A-Z]{3,4})$", shown.strip()), (url, shown)
