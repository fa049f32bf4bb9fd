"""The printable results certificate: one area's figures, the bulletin's hash, the signed tree head, a QR code
of its own address (drawn for exactly that address), print styles, and a drill's banner on a drill."""

from __future__ import annotations

import hashlib
import re

import segno
from fastapi.testclient import TestClient

from escrutinio.intake import signatures
from escrutinio.intake.actas import Record
from escrutinio.services import ingest_records, init_election, open_store, publish_bulletin
from escrutinio.services.keys import generate_keys, register_keys, sign_record
from escrutinio.settings import load_settings
from escrutinio.web.app import create_app

from .conftest import escrutinio
from .factory import acta, small_election

BASE = "https://results.example.org"


def _night(tmp_path, drill=False):
    store = open_store(f"sqlite:///{tmp_path / 'night.db'}")
    election = init_election(store, small_election(signed=True), drill=drill)
    private = generate_keys(election, seed="certificate")
    register_keys(store, {t: signatures.public_key(k) for t, k in private.items()})
    records = [acta("T1", votes={"YES": 111, "NO": 40}), acta("T2", votes={"YES": 7, "NO": 93}), acta("T4")]
    ingest_records(store, [Record("n", i, sign_record(election, r, private[r["table"]])) for i, r in enumerate(records)])
    publish_bulletin(store)
    return store


def _page(store, path):
    app = create_app(load_settings({}, database_url=store.url, public_base_url=BASE, rate_limit_per_second=0), store)
    with TestClient(app) as client:
        return client.get(path, params={"lang": "en"})


def _qr_matrix(svg: str) -> str:
    return re.search(r'<path[^>]* d="([^"]+)"', svg).group(1)


def test_the_certificate_of_an_area_has_its_figures_hash_signed_head_and_qr(tmp_path):
    store = _night(tmp_path)
    page = _page(store, "/bulletins/1/certificate/N1")
    assert page.status_code == 200
    html = page.text
    bulletin = store.bulletin(1)
    published = _page(store, "/api/v1/bulletins/1/full").content  # the bytes anyone downloads
    assert f'<code class="bulletin-hash">{hashlib.sha256(published).hexdigest()}</code>' in html
    log = bulletin.body["log"]
    assert log["signature"] in html and log["authority_key"] in html
    # N1 holds T1 and T2 (centres C-N1a): Yes 111 + 7, No 40 + 93, from the actas sent above.
    assert ">118<" in html and ">133<" in html and ">100<" not in html.split("Question")[1].split("</table>")[0]
    url = f"{BASE}/bulletins/1/certificate/N1"
    assert f'<code class="certificate-url">{url}</code>' in html
    expected = segno.make(url, error="m").svg_inline(scale=4, dark="#000", light="#fff")
    assert _qr_matrix(html) == _qr_matrix(expected)
    assert "@media print" in html and "@page" in html
    assert 'class="drill"' not in html
    assert _page(store, "/bulletins/1/certificate/NOWHERE").status_code == 404
    assert _page(store, "/bulletins/9/certificate/N1").status_code == 404
    store.close()


def test_a_drills_certificate_says_drill(tmp_path):
    store = _night(tmp_path, drill=True)
    html = _page(store, "/bulletins/1/certificate/X").text
    assert '<p class="drill" role="note"><strong>Drill</strong>' in html and "<title>Drill · " in html
    store.close()


def test_the_cli_writes_the_certificate(tmp_path):
    store = _night(tmp_path)
    store.close()
    done = escrutinio(tmp_path, "bulletin", "certificate", "N1", "--out", "n1.html", "--base-url", BASE, "--lang", "es",
                      "--db", f"sqlite:///{tmp_path / 'night.db'}")
    assert done.returncode == 0, done.stderr
    html = (tmp_path / "n1.html").read_text(encoding="utf-8")
    assert "Certificado de resultados" in html and f"{BASE}/bulletins/1/certificate/N1" in html
