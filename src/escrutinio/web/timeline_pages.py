"""The timeline's pages: the live coverage page, one entry's page, the Atom feed, the comment form.

Usable without JavaScript; timeline.js only adds live updates, fetching each
new or changed entry as an HTML fragment rendered here by the same macro.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

from babel.dates import format_date
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from .. import services
from ..domain.errors import NotFound
from ..domain.timeline import BULLETIN, KEY, Entry
from ..publish.atom import FeedEntry, atom_feed
from ..publish.markdown import headline, plain_text, render_markdown
from ..services.timeline import Timeline
from .caching import cached, public_base
from .i18n import Language
from .timeline_api import MAX_ID, limit_comments
from .timeline_models import trail_out

router = APIRouter(include_in_schema=False)
ASIDE_ENTRIES = 8


class TimelineView:
    """A timeline as a page shows it, in the reader's language and the election's time zone."""

    def __init__(self, view: Timeline, lang: Language, zone: ZoneInfo, election_date: dt.date,
                 limit: int | None = None):
        self.view, self.lang, self.zone, self.election_date = view, lang, zone, election_date
        self.revision = view.revision
        self.limit = limit or 0
        # A pin holds until a later bulletin supersedes it: then the entry goes back to its place in time,
        # below that bulletin (an "irreversible" trend called on bulletin 1 must not top the final one).
        bulletins = [e.posted_at for e in view.entries if e.kind == BULLETIN and not e.deleted]
        latest = max(bulletins) if bulletins else None
        self.superseded = {e.id for e in view.entries if e.pinned and latest is not None and e.posted_at < latest}
        self.pinned = [e for e in view.entries if self.pinned_now(e)]
        stream = [e for e in view.entries if not self.pinned_now(e)]
        self.stream = stream[:limit] if limit else stream
        self.key_events = [e for e in view.entries if e.kind == KEY and not e.deleted]

    def pinned_now(self, entry: Entry) -> bool:
        return entry.pinned and not entry.deleted and entry.id not in self.superseded

    @property
    def empty(self) -> bool:
        return not self.view.entries

    def iso(self, value: dt.datetime) -> str:
        return value.astimezone(dt.timezone.utc).isoformat()

    def when(self, value: dt.datetime | str) -> str:
        """HH:MM in the election's time zone with the zone named, and the day when it is not election day."""
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        local = value.astimezone(self.zone)
        zone = self.lang.zone_name(value, self.zone.key)
        if local.date() == self.election_date:
            return f"{local.strftime('%H:%M')} {zone}"
        return f"{format_date(local.date(), 'd MMM', locale=self.lang.locale)} {local.strftime('%H:%M')} {zone}"

    def full(self, value: dt.datetime) -> str:
        return self.lang.datetime(value, str(self.zone))

    def html(self, entry: Entry) -> str:
        return render_markdown(entry.body)

    def trail(self, entry: Entry) -> list[dict]:
        return trail_out(self.view.trail(entry.id), entry.deleted, self.zone)

    def comments(self, entry: Entry) -> list:
        return self.view.comments.get(entry.id, [])

    def claims(self, entry: Entry) -> list[dict]:
        return self.view.claims.get(entry.id, [])

    def headline(self, entry: Entry) -> str:
        if entry.kind == BULLETIN:
            return f"{self.lang.t('Bulletin published')}: {self.lang.t('Bulletin')} {entry.bulletin['number']}"
        return headline(entry.body) or (entry.media.title or entry.media.url if entry.media else "")

    def bulletin_summary(self, entry: Entry) -> str:
        """A bulletin entry in one line of text: its number, progress and the leading figures."""
        data, t = entry.bulletin, self.lang.t
        parts = [f"{t('Bulletin')} {data['number']}"]
        for contest in data["contests"]:
            options = ", ".join(f"{o['name']} {self.lang.number(o['votes'])} ({self.lang.percent(o['percent'])})"
                                for o in contest["options"])
            parts.append(f"{contest['name']}: {options}")
        return " · ".join(parts)


TIMELINE_SHOWS = ("timeline", "claims", "bulletin", "observation", "previous", "public", "tokens")  # claims' verdicts too


def timeline_view(request: Request, lang: Language, limit: int | None = None) -> TimelineView:
    store = request.app.state.store
    election = store.election()
    view = request.app.state.pages.part("timeline", TIMELINE_SHOWS, None,
                                        lambda: services.timeline.read_timeline(store))
    return TimelineView(view, lang, ZoneInfo(election.time_zone), election.date, limit)


def aside(request: Request, lang: Language) -> TimelineView:
    """The latest entries, for the column beside the results on the home page."""
    return timeline_view(request, lang, ASIDE_ENTRIES)


def _pages(request: Request):
    return request.app.state.pages


@router.get("/timeline", response_class=HTMLResponse)
def timeline_page(request: Request):
    pages = _pages(request)
    tv = timeline_view(request, pages.language(request))
    return pages.render(request, "timeline.html", tv=tv, json_twin="/api/v1/timeline",
                        json_ld=_json_ld(request, tv), notice=request.query_params.get("comment") == "pending")


@router.get("/timeline/entries/{entry_id}", response_class=HTMLResponse)
def entry_page(request: Request, entry_id: int):
    pages = _pages(request)
    if not 1 <= entry_id <= MAX_ID:
        raise NotFound("timeline entry", entry_id)
    store = request.app.state.store
    view = services.timeline.entry_detail(store, entry_id)
    election = store.election()
    tv = TimelineView(view, pages.language(request), ZoneInfo(election.time_zone), election.date)
    return pages.render(request, "timeline_entry.html", tv=tv, e=view.entries[0],
                        json_twin=f"/api/v1/timeline/entries/{entry_id}",
                        notice=request.query_params.get("comment") == "pending")


@router.get("/timeline/fragments/{entry_id}", response_class=HTMLResponse)
def fragment(request: Request, entry_id: int, compact: bool = False):
    """One entry's <article>, as the pages render it: what timeline.js puts on a page live."""
    pages = _pages(request)
    if not 1 <= entry_id <= MAX_ID:
        raise NotFound("timeline entry", entry_id)
    store = request.app.state.store
    view = services.timeline.entry_detail(store, entry_id)
    entry = view.entries[0]
    lang = pages.language(request)
    key = (entry_id, entry.revision, lang.code, compact)
    cache = request.app.state.timeline.fragments
    html = cache.get(key)
    if html is None:  # one render per entry version and language, however many readers ask
        election = store.election()
        tv = TimelineView(view, lang, ZoneInfo(election.time_zone), election.date)
        html = pages.env.get_template("_timeline_fragment.html").render(
            request=request, lang=lang, t=lang.t, tn=lang.tn, who=pages.who(lang), election=election, tv=tv, e=entry,
            compact=compact)
        cache.put(key, html)
    return cached(request, html.encode(), etag=f"fragment-{key}", raw=True, media_type="text/html; charset=utf-8",
                  headers={"Content-Language": lang.tag})


@router.get("/timeline.atom")
def atom(request: Request):
    pages = _pages(request)
    lang = pages.language(request)
    tv = timeline_view(request, lang)
    base = public_base(request)
    election = request.app.state.store.election()
    entries = [_feed_entry(tv, e, base) for e in tv.view.entries]
    updated = max([e.updated for e in entries] + [e.deleted for e in entries if e.deleted]
                  + [dt.datetime(election.date.year, election.date.month, election.date.day, tzinfo=dt.timezone.utc)])
    title = f"{lang.t('Drill') + ' · ' if election.drill else ''}{election.name} — {lang.t('Live coverage')}"
    body = atom_feed(feed_id=f"{base}/timeline", title=title,
                     url=f"{base}/timeline", self_url=f"{base}/timeline.atom", language=lang.tag, updated=updated,
                     entries=entries)
    return cached(request, body, etag=f"atom-{tv.revision}-{lang.code}-{base}", raw=True, max_age=10,
                  media_type="application/atom+xml; charset=utf-8")


def _feed_entry(tv: TimelineView, entry: Entry, base: str) -> FeedEntry:
    if entry.kind == BULLETIN:
        html = f"<p>{_escape(tv.bulletin_summary(entry))}</p><p><a href=\"{base}/bulletins/" \
               f"{entry.bulletin['number']}\">{_escape(tv.lang.t('Bulletin'))} {entry.bulletin['number']}</a></p>"
    else:
        html = render_markdown(entry.body)
        if entry.media:
            html += f"<p><a href=\"{_escape(entry.media.url)}\">{_escape(entry.media.title or entry.media.url)}</a></p>"
    return FeedEntry(id=f"{base}/timeline/entries/{entry.id}", url=f"{base}/timeline/entries/{entry.id}",
                     title=tv.headline(entry) or f"{tv.lang.t('Entry')} {entry.id}", html=html, author=entry.author,
                     published=entry.posted_at, updated=entry.updated_at or entry.posted_at,
                     deleted=entry.deleted_at, reason=entry.delete_reason)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


@router.post("/timeline/entries/{entry_id}/comments")
async def comment_form(request: Request, entry_id: int):
    """The comment form of each entry (no JavaScript needed): held for moderation, then back to the entry."""
    if not 1 <= entry_id <= MAX_ID:
        raise NotFound("timeline entry", entry_id)
    raw = await request.body()  # at most max_comment_bytes: bodies.py cuts it off there
    limit_comments(request)
    form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True).items()}
    await asyncio.to_thread(services.timeline.add_comment, request.app.state.store, entry_id, form.get("name", ""),
                            form.get("body", ""))
    back = "/timeline" if form.get("from") != "entry" else f"/timeline/entries/{entry_id}"
    return RedirectResponse(f"{back}?comment=pending#entry-{entry_id}", status_code=303)


def _json_ld(request: Request, tv: TimelineView) -> str:
    """schema.org LiveBlogPosting for search engines and aggregators (escaped for a <script> block)."""
    election = request.app.state.store.election()
    base = public_base(request)
    shown = [e for e in tv.view.entries if not e.deleted]
    updates = [{"@type": "BlogPosting", "@id": f"{base}/timeline/entries/{e.id}",
                "url": f"{base}/timeline#entry-{e.id}", "headline": tv.headline(e),
                "articleBody": tv.bulletin_summary(e) if e.kind == BULLETIN else plain_text(e.body),
                "datePublished": tv.iso(e.posted_at), "dateModified": tv.iso(e.updated_at or e.posted_at),
                "author": {"@type": "Person" if e.kind != BULLETIN else "Organization", "name": e.author}}
               for e in shown]
    data = {"@context": "https://schema.org", "@type": "LiveBlogPosting", "@id": f"{base}/timeline",
            "url": f"{base}/timeline", "headline": f"{election.name} — {tv.lang.t('Live coverage')}",
            "inLanguage": tv.lang.tag, "about": {"@type": "Event", "name": election.name,
                                                 "startDate": election.date.isoformat()},
            "liveBlogUpdate": updates}
    if shown:
        data["coverageStartTime"] = tv.iso(min(e.posted_at for e in shown))
        data["datePublished"] = data["coverageStartTime"]
        data["dateModified"] = tv.iso(max(e.updated_at or e.posted_at for e in shown))
    return json.dumps(data, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
