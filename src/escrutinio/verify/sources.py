"""Where the published documents come from: a results site over HTTP, or a database.

Both give the same documents (see escrutinio.services.published and docs/api.md):
the geography, the tables' public keys, the actas, the log's leaves, the
bulletins' numbers and hashes, each bulletin's head and counters as bytes,
and the figures the site shows for the whole country and its first level.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from .common import canonical


class SourceError(Exception):
    """The published data could not be read."""


MAX_DOWNLOAD = 1024 * 1024 * 1024  # bytes of one response: far above a national night's largest document
CHUNK = 1 << 20
PAGE = 5000  # actas or log leaves read from a database at once


class HttpSource:
    """A results site: GET {base}/api/v1/published/… and /api/v1/bulletins/{n}/…

    No response may be larger than ``max_bytes``: a hostile or broken site cannot make the verifier
    read without end (the body is read in chunks and dropped as soon as it passes the limit, whatever
    Content-Length says)."""

    def __init__(self, base_url: str, timeout: float = 120, max_bytes: int = MAX_DOWNLOAD):
        self.base = base_url.rstrip("/")
        self.name = f"site {self.base}"
        self.timeout = timeout
        self.max_bytes = max_bytes

    def _get(self, path: str) -> bytes:
        url = self.base + path
        request = urllib.request.Request(url, headers={"Accept": "application/json",
                                                       "User-Agent": "escrutinio-verify"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return self._read(url, response)
        except urllib.error.HTTPError as exc:
            raise SourceError(f"GET {url}: HTTP {exc.code} {exc.reason}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise SourceError(f"GET {url}: {getattr(exc, 'reason', exc)}") from exc

    def _read(self, url: str, response) -> bytes:
        declared = response.headers.get("Content-Length")
        if declared and declared.strip().isdigit() and int(declared) > self.max_bytes:
            raise SourceError(self._too_large(url, f"it declares {int(declared):,} bytes"))
        parts, size = [], 0
        while chunk := response.read(min(CHUNK, self.max_bytes + 1 - size)):
            parts.append(chunk)
            size += len(chunk)
            if size > self.max_bytes:
                raise SourceError(self._too_large(url, "it sent more"))
        return b"".join(parts)

    def _too_large(self, url: str, what: str) -> str:
        return (f"GET {url}: the response is larger than the {self.max_bytes:,} bytes allowed ({what}); nothing "
                "more was read. If the site is right to send that much, raise the limit with --max-download")

    def _json(self, path: str) -> dict:
        data = self._get(path)
        try:
            return json.loads(data)
        except ValueError as exc:
            raise SourceError(f"GET {self.base + path}: not JSON ({exc})") from exc

    def geography(self) -> dict:
        return self._json("/api/v1/published/geography")

    def keys(self) -> dict[str, str]:
        return self._json("/api/v1/published/keys")["keys"]

    def actas(self) -> list[dict]:
        return [item for page in self.acta_pages() for item in page]

    def leaves(self) -> list[dict]:
        return [leaf for page in self.leaf_pages() for leaf in page]

    def acta_pages(self) -> Iterator[list[dict]]:
        return _each_page(lambda after: self._json(f"/api/v1/published/actas?after={after}"), "actas", 0)

    def leaf_pages(self, start: int = 0) -> Iterator[list[dict]]:
        return _each_page(lambda start: self._json(f"/api/v1/published/log?start={start}"), "leaves", start)

    def bulletins(self) -> list[dict]:
        return self._json("/api/v1/published/bulletins")["bulletins"]

    def bulletin_body(self, number: int) -> bytes:
        return self._get(f"/api/v1/bulletins/{urllib.parse.quote(str(number))}/full")

    def bulletin_counters(self, number: int, contest: str) -> bytes:
        return self._get(f"/api/v1/bulletins/{urllib.parse.quote(str(number))}/counters/"
                         f"{urllib.parse.quote(contest, safe='')}")

    def bulletin_previous(self, number: int) -> bytes:
        return self._get(f"/api/v1/bulletins/{urllib.parse.quote(str(number))}/previous")

    def bulletin_shown(self, number: int) -> dict:
        return self._json(f"/api/v1/bulletins/{urllib.parse.quote(str(number))}")

    def timeline_bulletins(self) -> list[dict]:
        return self._json("/api/v1/published/timeline-bulletins")["entries"]

    def consistency(self, old: int, new: int) -> dict:
        return self._json(f"/api/v1/log/consistency?old={int(old)}&new={int(new)}")

    def close(self) -> None:
        pass


class DatabaseSource:
    """The results centre's own database: the actas and the log's leaves read straight from their rows, a page
    at a time; the rest through escrutinio.services.published."""

    def __init__(self, url: str):
        from ..services import open_store, published

        if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
            raise SourceError(f"no database file at {url.removeprefix('sqlite:///')}")
        self._published = published
        self._store = open_store(url, migrate=False)
        self._current: int | None = None  # the bulletin read last
        self.name = f"database {_without_password(url)}"

    def geography(self) -> dict:
        return self._published.geography(self._store)

    def keys(self) -> dict[str, str]:
        return self._published.table_keys(self._store)["keys"]

    def actas(self) -> list[dict]:
        return [item for page in self.acta_pages() for item in page]

    def leaves(self) -> list[dict]:
        return [leaf for page in self.leaf_pages() for leaf in page]

    def acta_pages(self) -> Iterator[list[dict]]:
        return _each_page(self._acta_page, "actas", 0)

    def _acta_page(self, after: int, limit: int = PAGE) -> dict:
        """The stored actas with id > ``after``, as escrutinio.services.published.actas gives them (and the API
        serves them), read straight from their rows: the acta is its stored JSON as it is, no object is made
        per acta (a national night has millions)."""
        with self._store.engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT id, content, digest, status, reasons, signature, source, received_at, entry, image_sha256 "
                f"FROM acta WHERE id > {int(after)} ORDER BY id LIMIT {int(limit)}").fetchall()
            history: dict[int, list[dict]] = {}
            if rows:
                for acta_id, at, action, operator, reason in conn.exec_driver_sql(
                        "SELECT acta_id, at, action, operator, reason FROM acta_event "
                        f"WHERE acta_id >= {int(rows[0][0])} AND acta_id <= {int(rows[-1][0])} ORDER BY id"):
                    history.setdefault(acta_id, []).append({"at": _iso(at), "action": action, "operator": operator,
                                                            "reason": reason})
        items = []
        for acta_id, content, digest, status, reasons, signature, source, received_at, entry, image in rows:
            acta = json.loads(content)
            where = acta if isinstance(acta, dict) else {}
            items.append({"id": acta_id, "table": where.get("table"), "contest": where.get("contest"), "acta": acta,
                          "digest": digest, "status": status, "reasons": json.loads(reasons),
                          "signature": base64.b64encode(bytes(signature)).decode() if signature else None,
                          "source": source, "received_at": _iso(received_at), "entry": entry,
                          "image_sha256": image, "history": history.get(acta_id, [])})
        return {"actas": items, "next": items[-1]["id"] if len(items) == limit else None}

    def leaf_pages(self, start: int = 0) -> Iterator[list[dict]]:
        return _each_page(self._leaf_page, "leaves", start)

    def _leaf_page(self, start: int, limit: int = PAGE) -> dict:
        """The log's leaves from position ``start``, as escrutinio.services.published.log_leaves gives them,
        read straight from their rows."""
        with self._store.engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT position, data, leaf_hash FROM log_leaf "
                f"WHERE position >= {int(start)} AND position < {int(start) + int(limit)} ORDER BY position").fetchall()
        leaves = [{"position": position, "data": bytes(data).decode(), "leaf_hash": bytes(leaf_hash).hex()}
                  for position, data, leaf_hash in rows]
        return {"leaves": leaves, "next": start + limit if len(leaves) == limit else None}

    def bulletins(self) -> list[dict]:
        return self._published.bulletins(self._store)["bulletins"]

    def _bulletin(self, number: int):
        """The store's bulletin ``number``; the store is made to forget the one read before (it keeps the last
        few it read, with their counters: at national size hundreds of megabytes each, and the verifier reads
        each bulletin once, in turn)."""
        if number != self._current:
            self._store.forget_night()
            self._current = number
        return self._store.bulletin(number)

    def bulletin_body(self, number: int) -> bytes:
        return canonical(self._bulletin(number).body)

    def bulletin_counters(self, number: int, contest: str) -> bytes:
        return self._bulletin(number).counter_bytes(contest)

    def bulletin_previous(self, number: int) -> bytes:
        data = self._bulletin(number).previous_bytes()
        if data is None:
            raise SourceError(f"bulletin {number} keeps no previous election's figures")
        return data

    def bulletin_shown(self, number: int) -> dict:
        found = self._bulletin(number)
        return {"area": found.root, "children": found.children(found.root["code"])}

    def timeline_bulletins(self) -> list[dict]:
        return self._published.timeline_bulletins(self._store)["entries"]

    def consistency(self, old: int, new: int) -> dict:
        return self._published.consistency(self._store, old, new)

    def close(self) -> None:
        self._store.close()


def _iso(value: object) -> str:
    """A stored time as the published documents give it: ISO 8601 in UTC (SQLite keeps it as text, without a
    zone; PostgreSQL gives a datetime)."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.datetime):
        value = value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value.astimezone(dt.timezone.utc)
        return value.isoformat()
    return str(value)


def _pages(fetch, key: str, first: int) -> list[dict]:
    """Follow "next" from page to page until there is none."""
    return [item for page in _each_page(fetch, key, first) for item in page]


def _each_page(fetch, key: str, first: int) -> Iterator[list[dict]]:
    """The items of each page in turn, following "next" until there is none: a night of millions of actas
    is read a page at a time, never held whole as it was sent."""
    cursor, seen = first, set()
    while cursor is not None:
        if cursor in seen:
            raise SourceError(f"the pages of {key} loop back to {cursor}")
        seen.add(cursor)
        page = fetch(cursor)
        yield page[key]
        cursor = page.get("next")


def _without_password(url: str) -> str:
    parsed = urllib.parse.urlsplit(url)
    if parsed.password:
        netloc = parsed.netloc.replace(f":{parsed.password}@", ":***@")
        return urllib.parse.urlunsplit(parsed._replace(netloc=netloc))
    return url
