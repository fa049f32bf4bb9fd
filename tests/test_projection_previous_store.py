"""A bulletin published with a previous election loaded: the projection uses it, the bulletin keeps the
figures it used (its hash covers them), and `escrutinio verify` recomputes the projection from them and
names any change to them or to the projection, on both stores."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zlib

import numpy as np
import sqlalchemy as sa

from escrutinio.domain.comparison import TABLE, PreviousElection
from escrutinio.domain.model import Rule
from escrutinio.intake.actas import Record
from escrutinio.intake.signatures import public_key
from escrutinio.services import ingest_records, init_election, keys, publish_bulletin
from escrutinio.services.comparison import save_previous
from escrutinio.store import schema
from escrutinio.verify import verify_source

from .test_projection_bulletin import country

T0 = dt.datetime(2024, 5, 5, 22, 0, tzinfo=dt.timezone.utc)


def _night(store) -> dict:
    """48 tables in 24 centres; the previous election per table; two thirds of the tables counted."""
    election = init_election(store, country(2, 2, 6, 2, Rule("plurality"), 2))
    private = keys.generate_keys(election, seed="projection-tests")
    keys.register_keys(store, {t: public_key(k) for t, k in private.items()}, T0)
    rng = np.random.default_rng(11)
    units, records = {}, []
    for n, table in enumerate(election.tables):
        lean = 30 + 20 * (n % 4 == 0) + int(rng.integers(0, 8))
        then_cast = table.registered * 7 // 10
        then_a = then_cast * lean // 100
        units[table.code] = (table.registered - 5, then_cast, 4, then_a, then_cast - then_a - 10, 6)
        if n % 3 != 2:
            cast = table.registered * 6 // 10
            a = cast * (lean - 4) // 100
            record = {"table": table.code, "contest": "Q", "null": 3,
                      "votes": {"A": a, "B": cast - a - 3 - 5, "C": 5}, "ballots_cast": cast}
            records.append(Record("test", n + 1, keys.sign_record(election, record, private[table.code])))
    save_previous(store, PreviousElection("Earlier", "2020-05-05", (("E1", "One"), ("E2", "Two"), ("E3", "Three")),
                                          {"A": "E1", "B": "E2"}, TABLE, units), now=T0)
    outcomes = ingest_records(store, records, now=T0 + dt.timedelta(minutes=1))
    assert all(o.result != "rejected" for o in outcomes), [o.problems for o in outcomes]
    return {"bulletin": publish_bulletin(store, T0 + dt.timedelta(minutes=2))}


def _row(store, number: int):
    with store.engine.connect() as conn:
        return conn.execute(sa.select(schema.bulletin).where(schema.bulletin.c.number == number)).one()


def test_the_projection_uses_the_previous_election_and_verify_recomputes_it_then_names_each_change(store):
    bulletin = _night(store)["bulletin"]
    head = bulletin.body
    assert head["format"] == "escrutinio-bulletin/5"
    assert head["previous"]["name"] == "Earlier" and head["previous"]["mapping"] == {"A": "E1", "B": "E2"}
    projection = head["projections"]["Q"]
    assert projection["settings"]["size"] == "previous"
    # What the store gives back is what was published, the previous election's figures included.
    again = store.bulletin(1)
    assert again.previous is not None and np.array_equal(again.previous, bulletin.previous)
    assert hashlib.sha256(again.previous_bytes()).hexdigest() == head["previous"]["sha256"]
    assert again.previous[0, 0] == sum(int(t.registered) - 5 for t in store.election().tables)
    report = verify_source(db=store.url)
    assert report.ok, report.text()
    assert report.counts["projections"] == 1 and report.counts["previous-election rows"] == len(bulletin.nodes)

    # 1. The previous election's figures kept with the bulletin, changed: named, and the projection with them.
    row = _row(store, 1)
    data, streams = row.counters, []
    while data:
        stream = zlib.decompressobj()
        streams.append(stream.decompress(data))
        data = stream.unused_data
    assert len(streams) == len(head["contests"]) + 1
    earlier = np.frombuffer(streams[-1], dtype="<i8").reshape(bulletin.previous.shape).copy()
    centre = next(i for i, kind in enumerate(bulletin.nodes.kinds) if kind == "centre")
    earlier[centre, 3] += 150
    changed = b"".join(zlib.compress(s) for s in streams[:-1]) + zlib.compress(earlier.astype("<i8").tobytes())
    with store.engine.begin() as conn:
        conn.execute(schema.bulletin.update().where(schema.bulletin.c.number == 1).values(counters=changed))
    store._bulletins.clear()
    report = verify_source(db=store.url)
    problems = report.of("projection")
    assert problems[0] == (f"bulletin 1: the SHA-256 of its previous election's figures is "
                           f"{hashlib.sha256(earlier.astype('<i8').tobytes()).hexdigest()}, but its head says "
                           f"{head['previous']['sha256']}"), problems
    assert any(p.startswith("bulletin 1, contest Q, projection areas.X.") for p in problems), problems
    with store.engine.begin() as conn:
        conn.execute(schema.bulletin.update().where(schema.bulletin.c.number == 1).values(counters=row.counters))
    store._bulletins.clear()

    # 2. The published projection changed (its call at the country): named.
    body = json.loads(zlib.decompress(row.body))
    was = body["projections"]["Q"]["areas"]["X"]["call"]
    body["projections"]["Q"]["areas"]["X"]["call"] = "C"
    data = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    with store.engine.begin() as conn:
        conn.execute(schema.bulletin.update().where(schema.bulletin.c.number == 1).values(body=zlib.compress(data)))
    store._bulletins.clear()
    report = verify_source(db=store.url)
    assert f'bulletin 1, contest Q, projection areas.X.call: published "C", recomputed {json.dumps(was)}' in \
        report.of("projection"), report.of("projection")
    assert report.of("bulletin")[0].startswith("bulletin 1: the SHA-256 of its body is ")


def test_the_site_publishes_the_previous_election_s_figures_and_verify_reads_them_over_http(tmp_path):
    from escrutinio.services import open_store

    from .test_verify import _Server

    store = open_store(f"sqlite:///{tmp_path / 'night.db'}")
    try:
        bulletin = _night(store)["bulletin"]
        with _Server(store) as base:
            import urllib.request

            with urllib.request.urlopen(f"{base}/api/v1/bulletins/1/previous") as response:
                data = response.read()
            assert hashlib.sha256(data).hexdigest() == bulletin.body["previous"]["sha256"]
            report = verify_source(url=base)
        assert report.ok, report.text()
        assert report.counts["previous-election rows"] == len(bulletin.nodes)
    finally:
        store.close()
