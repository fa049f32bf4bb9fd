"""What a reader sees first, on a phone, in a real browser (Chromium driven by Playwright), on the demo night."""

from __future__ import annotations

import re

import pytest

from .test_browser import _browser_present, browser, db_of_night, shoot, site  # noqa: F401 (fixtures)

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - test_browser skips or fails the module first
    expect = None

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser, site):
    opened = browser.new_context(base_url=site, viewport=PHONE, is_mobile=True, has_touch=True,
                                 device_scale_factor=1)
    opened.set_default_timeout(60_000)
    expect.set_options(timeout=60_000)
    yield opened
    opened.close()


def inside_first_screen(tab, locator) -> None:
    box = locator.bounding_box()
    assert box is not None, "not rendered"
    assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"], f"at y={box['y']:.0f}+{box['height']:.0f}"
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]


@pytest.mark.parametrize("lang", ["es", "en"])
def test_every_contests_leader_shares_and_progress_are_on_the_first_phone_screen(phone, site, request, lang):
    import httpx
    latest = httpx.get(f"{site}/api/v1/bulletins/latest", timeout=30).json()
    tab = phone.new_page()
    try:
        tab.goto(f"/?lang={lang}")
        headlines = tab.locator("main section.headline")
        expect(headlines).to_have_count(len(latest["contests"]))
        for contest in latest["contests"]:
            figures = latest["area"]["results"][contest["code"]]
            section = tab.locator(f"main section.headline[data-contest='{contest['code']}']")
            inside_first_screen(tab, section.get_by_role("heading", name=contest["name"], exact=True))
            leader = figures["decided"]["leader"]
            leading = section.locator("li.share.leading")
            expect(leading).to_have_attribute("data-option", leader)
            inside_first_screen(tab, leading)
            for option in figures["options"]:
                share = section.locator(f"li.share[data-option='{option['code']}']")
                shown = re.sub(r"\s", "", share.locator(".share-pct").inner_text())
                assert re.sub(r"[.,]", "", shown).rstrip("%") == option["percent"].replace(".", ""), shown
                inside_first_screen(tab, share)
            counted = section.locator(".counted")
            inside_first_screen(tab, counted)
            tables = figures["tables"]
            whole = 100 * tables["counted"] // tables["expected"]
            expect(counted.locator(".counted-percent")).to_contain_text(str(whole))
            inside_first_screen(tab, section.locator(".verdict"))
        # the auditor's formula is one click away, not in plain view
        expect(tab.locator("main details.audit").first).not_to_have_attribute("open", "")
    finally:
        shoot(tab, request.node.name)


def test_the_headline_bars_are_proportional_with_a_line_at_half(phone, site, request):
    import httpx
    latest = httpx.get(f"{site}/api/v1/bulletins/latest", timeout=30).json()
    first = latest["contests"][0]["code"]
    percent = {o["code"]: float(o["percent"]) for o in latest["area"]["results"][first]["options"]}
    tab = phone.new_page()
    try:
        tab.goto("/?lang=en")
        section = tab.locator(f"main section.headline[data-contest='{first}']")
        track = section.locator("li.share .track").first.bounding_box()
        widths = [s.locator(".fill").bounding_box()["width"] for s in section.locator("li.share").all()]
        shares = [percent[s.get_attribute("data-option")] for s in section.locator("li.share").all()]
        for width, share in zip(widths, shares):
            assert abs(width - track["width"] * share / 100) <= 2, (width, share, track["width"])
        mark = section.locator("li.share .mark").first.bounding_box()
        assert abs(mark["x"] + mark["width"] / 2 - (track["x"] + track["width"] / 2)) <= 2
    finally:
        shoot(tab, request.node.name)


def test_a_live_bulletin_keeps_focus_and_scroll_and_its_banner_can_be_dismissed(phone, request, demo_night,
                                                                                db_of_night):
    import subprocess
    import sys
    import time

    from .conftest import cli_env
    from .test_browser import LIVE_WAIT_SECONDS

    tab = phone.new_page()
    try:
        tab.goto("/?lang=en")
        before = int(tab.locator("body").get_attribute("data-bulletin"))
        tab.wait_for_function("window.EventSource && document.readyState === 'complete'")
        expect(tab.locator("body")).to_have_attribute("data-following", "yes")
        link = tab.locator("main table.children tbody th a").filter(has_text=re.compile(r"^Zulia$"))
        link.focus()
        tab.evaluate("document.activeElement.__marked = 'focused before'")
        scrolled = tab.evaluate("window.scrollY")
        assert scrolled > 0  # focusing the link scrolled down to it: the scroll is something to keep
        banner = tab.locator("#live-banner")
        expect(banner.get_by_role("button")).to_be_hidden()  # nothing to dismiss yet, nothing to tab to

        published = subprocess.run([sys.executable, "-m", "escrutinio.cli", "bulletin", "publish", "--db",
                                    db_of_night], cwd=demo_night, env=cli_env(), capture_output=True, text=True,
                                   timeout=600)
        assert published.returncode == 0, published.stderr
        new = before + 1
        expect(tab.locator("main .bulletin-line a").first).to_have_text(str(new), timeout=LIVE_WAIT_SECONDS * 1000)
        expect(tab.locator("#live")).to_contain_text(f"New bulletin {new}")
        expect(tab.locator("#live")).to_contain_text("cut-off")
        assert tab.evaluate("document.activeElement.__marked") == "focused before"
        assert tab.evaluate("document.activeElement.textContent.trim()") == "Zulia"
        assert abs(tab.evaluate("window.scrollY") - scrolled) <= 1
        box = banner.bounding_box()
        assert box["y"] + box["height"] <= PHONE["height"] + 1  # over the foot of the screen, not pushing content
        banner.get_by_role("button").click()
        expect(banner).to_have_attribute("data-shown", "no")
        expect(tab.locator("#live")).to_have_text("")
    finally:
        shoot(tab, request.node.name)


def test_an_area_on_an_old_bulletin_shows_that_bulletins_figures(site):
    import httpx

    page = httpx.get(f"{site}/bulletins/2?lang=en", timeout=60).text
    assert 'href="/areas/ZU?bulletin=2"' in page  # the bulletin's links stay in the bulletin
    old = httpx.get(f"{site}/api/v1/bulletins/2?area=ZU", timeout=60).json()["area"]["results"]["A"]
    latest = httpx.get(f"{site}/api/v1/bulletins/latest?area=ZU", timeout=60).json()["area"]["results"]["A"]
    assert old["tables"]["counted"] != latest["tables"]["counted"]
    html = httpx.get(f"{site}/areas/ZU?bulletin=2&lang=en", timeout=60).text
    assert re.search(r'Bulletin <a href="/bulletins/2">2</a>', html)
    assert "not the latest" in html
    shown = {re.sub(r"\D", "", v) for v in re.findall(r'<td class="num votes">([^<]+)</td>', html)}
    assert str(old["options"][0]["votes"]) in shown  # the figures of bulletin 2 (the election's digit grouping)
    assert str(latest["options"][0]["votes"]) not in shown  # not the latest's
    assert 'href="/areas/ZU-01?bulletin=2"' in html  # and so do its links down the tree
    assert 'data-live="off"' in html  # an old bulletin is not replaced by the next one


def test_the_pinned_trend_of_bulletin_1_is_unpinned_once_later_bulletins_are_out(browser, site, request):
    context = browser.new_context(base_url=site, viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    try:
        tab.goto("/?lang=es")
        timeline = tab.locator("aside.home-timeline")
        expect(timeline.locator(".tl-entries article").first).to_be_visible()
        assert timeline.locator(".tl-pinned article").count() == 0
        expect(timeline.locator(".tl-entries article").first).to_have_class(re.compile(r"kind-bulletin"))
        tab.goto("/timeline?lang=es")  # the whole timeline: the trend is still there, at its time
        key = tab.locator("article.kind-key", has_text="irreversible")
        expect(key).to_have_attribute("data-pinned", "no")
        order = tab.evaluate("""() => Array.from(document.querySelectorAll('main article.tl-entry'))
                                 .map(a => a.classList.contains('kind-bulletin') ? 'bulletin' : a.id)""")
        assert order[0] == "bulletin"  # the latest bulletin tops the timeline
        assert order.index(key.get_attribute("id")) > 0
    finally:
        shoot(tab, request.node.name)
        context.close()


def test_the_map_works_by_keyboard_and_its_table_is_one_key_away(phone, request):
    tab = phone.new_page()
    try:
        tab.goto("/?lang=en")
        skip = tab.get_by_role("link", name="Skip the map: the same figures in a table")
        skip.focus()
        tab.keyboard.press("Tab")  # the first area of the map comes right after the link past it
        focused = tab.evaluate("""() => { const a = document.activeElement;
            return {inMap: !!a.closest('section.map svg'), href: a.getAttribute('href'),
                    name: (a.querySelector('title') || {}).textContent || ''}; }""")
        assert focused["inMap"] and focused["href"].startswith("/areas/"), focused
        assert "%" in focused["name"]  # its name says who leads there and by how much
        tab.keyboard.press("Enter")
        tab.wait_for_url(re.compile(re.escape(focused["href"]) + "$"))
        tab.go_back()
        tab.get_by_role("link", name="Skip the map: the same figures in a table").focus()
        tab.keyboard.press("Enter")
        tab.keyboard.press("Tab")  # past the map: the table's first link
        assert tab.evaluate("!!document.activeElement.closest('#children')")
        links_before_table = tab.evaluate("""() => { const all = Array.from(document.querySelectorAll('main a'));
            const skip = all.findIndex(a => a.classList.contains('skip-map'));
            const first = all.findIndex(a => a.closest('svg'));
            return [skip, first]; }""")
        assert links_before_table[0] < links_before_table[1]  # the way past the map comes before its 24 links
    finally:
        shoot(tab, request.node.name)


def test_search_by_keyboard_on_the_live_site(phone, site, request):
    """The header's search box on the served site (suggestions from GET /api/v1/search, not the static export's
    index file): type, move through the suggestions with the arrows, open one with Enter, land on its page."""
    import httpx
    hits = httpx.get(f"{site}/api/v1/search", params={"q": "libertador", "limit": 8}, timeout=60).json()["results"]
    assert len(hits) >= 2 and hits[0]["url"] != hits[1]["url"]  # municipios of one name in several estados
    chosen = hits[1]  # the second: the arrows must move, not just open the first
    tab = phone.new_page()
    asked = []
    tab.on("request", lambda r: asked.append(r.url))
    try:
        tab.goto("/?lang=en")
        box = tab.locator("header input[type=search]")
        box.focus()
        tab.keyboard.type("libertador")
        options = tab.locator("header [role=option]")
        expect(options).to_have_count(len(hits))
        expect(options.first).to_contain_text(hits[0]["name"])
        expect(box).to_have_attribute("aria-expanded", "true")
        tab.keyboard.press("ArrowDown")
        tab.keyboard.press("ArrowDown")
        tab.keyboard.press("ArrowDown")
        tab.keyboard.press("ArrowUp")  # down three, up one: the second
        expect(options.nth(1)).to_have_attribute("aria-selected", "true")
        expect(options.nth(1)).to_contain_text(chosen["name"])
        expect(box).to_have_attribute("aria-activedescendant", options.nth(1).get_attribute("id"))
        assert tab.evaluate("document.activeElement.id") == box.get_attribute("id")  # focus stayed in the box
        tab.keyboard.press("Enter")
        tab.wait_for_url(re.compile(re.escape(chosen["url"]) + "$"))
        expect(tab.get_by_role("heading", level=1)).to_contain_text(chosen["name"])
        assert any("/api/v1/search?" in url for url in asked)
    finally:
        shoot(tab, request.node.name)


@pytest.mark.parametrize("lang", ["es", "de_CH"])
def test_the_header_search_box_fits_a_phone_and_leaves_the_headline_room(phone, request, lang):
    """At 390 × 844 the search box spans the screen below the menu and the languages (shown by their codes), inside
    the screen, and the header stays short: the first contest's headline starts in the top third of the screen."""
    tab = phone.new_page()
    try:
        tab.goto(f"/?lang={lang}")
        header = tab.locator("header.site").bounding_box()
        box = tab.locator("header input[type=search]").bounding_box()
        button = tab.locator("header form.search button").bounding_box()
        assert box["x"] >= 0 and button["x"] + button["width"] <= PHONE["width"], (box, button)
        assert box["width"] >= PHONE["width"] / 2  # a box to type in, not a sliver
        assert box["y"] + box["height"] <= header["y"] + header["height"]
        assert header["height"] <= PHONE["height"] / 8, header  # a compact header: at most an eighth of the screen
        assert tab.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        english = tab.locator("header .languages").get_by_role("link", name="English", exact=True)
        inside_first_screen(tab, english)  # named in full for a screen reader, shown by its code
        headline = tab.locator("main section.headline").first.bounding_box()
        assert headline["y"] >= header["y"] + header["height"] and headline["y"] <= PHONE["height"] / 3, headline
        suggestions = tab.locator("header [role=listbox]")
        expect(suggestions).to_be_hidden()  # nothing typed: no empty box drawn under the search box
        tab.locator("header input[type=search]").focus()
        tab.keyboard.type("zulia")
        expect(suggestions).to_be_visible()
        listed = suggestions.bounding_box()
        assert listed["x"] >= 0 and listed["x"] + listed["width"] <= PHONE["width"], listed
    finally:
        shoot(tab, request.node.name)
