"""Languages of the site: gettext message catalogues (Babel) for every UI string, numbers and dates by Babel.

How to add or change a string (templates, pages, problems shown to readers)
---------------------------------------------------------------------------
1. Write it in English where it is shown, through ``t``:

   - templates: ``{{ t('Tables counted') }}``; with parameters, ``{{ t('{n} of {total} tables', n=lang.number(a),
     total=lang.number(b)) }}`` (placeholders are ``{name}``, filled after translation, so a translation may
     move them); plurals: ``{{ tn('{n} table', '{n} tables', count, n=lang.number(count)) }}``;
   - Python: ``lang.t("Results by {level}", level=...)``, ``lang.tn(...)``;
   - a message whose id is computed (``t('status_' ~ code)``) cannot be found by the extractor: list each
     possible id once with ``N_("status_counted")`` in ``escrutinio/web/i18n_ids.py``.

   The message id is the English text itself, or a short key (``status_counted``, ``verify_acta_help``) where
   the English wording is long or depends on context; the English catalogue then gives the English text.
2. Run ``python -m escrutinio.web.catalogues`` (from the repository's root). It extracts every message from the
   templates and the code and adds the new ids, untranslated, to each language's
   ``locale/<lang>/LC_MESSAGES/messages.po`` (sorted by id, no line numbers: few merge conflicts).
3. Translate the new entries in EVERY ``messages.po`` (es, en, pt_BR, de_CH; English too: its ``msgstr``
   is the English text). ``python -m escrutinio.web.catalogues --check`` (and ``tests/test_i18n_catalogues.py``)
   fails on any id missing, untranslated or fuzzy in any language, or whose placeholders differ.

docs/translating.md says the same with examples.

The .po files are the only source: they are compiled in memory when this module is first used
(``babel.messages.pofile`` then ``babel.messages.mofile``), so there is no compiled file to keep in step.
A message missing from a language falls back to English, then to its id (never an error on a page).

Numbers and dates follow the election's locale (``locale`` in the definition: ``pt_BR`` prints 68.760,
``de_CH`` 25’122) whatever the page's language; month and day names are in the page's language.
A new language: ``python -m escrutinio.web.catalogues --add <code>``, translate, and add it to ``LANGUAGES``.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from markupsafe import Markup, escape
from babel.dates import format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.support import NullTranslations, Translations

from ..domain.reasons import parse as parse_reason

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"

# The site's languages: code (as in ?lang= and the .po folder) → its own name.
LANGUAGES = {"es": "Español", "en": "English", "pt_BR": "Português (Brasil)", "de_CH": "Deutsch (Schweiz)"}
FALLBACK = "en"
# Digit grouping where CLDR's symbol is not what the country prints: Swiss statistics group 25’122 with the
# typographic apostrophe (U+2019), where CLDR (as Babel ships it) gives the ASCII one.
GROUP_SYMBOLS = {"CH": ("'", "’")}

# Kept only so that strings added the old way still show while they are moved to the catalogues;
# tests/test_i18n_catalogues.py fails while anything is left here.
MESSAGES: dict[str, dict[str, str]] = {code: {} for code in LANGUAGES}


def N_(message: str) -> str:
    """Marks a message id for the extractor without translating it (ids computed at run time)."""
    return message


def po_path(code: str) -> Path:
    return LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=None)
def translations(code: str) -> NullTranslations:
    """The language's catalogue, compiled in memory from its .po file; English behind it."""
    path = po_path(code)
    if not path.exists():
        return translations(FALLBACK) if code != FALLBACK else NullTranslations()
    with path.open("rb") as f:
        catalog = read_po(f, locale=code)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    compiled = Translations(buffer, domain=DOMAIN)
    if code != FALLBACK:
        compiled.add_fallback(translations(FALLBACK))
    return compiled


def language_for(wanted: str | None) -> str | None:
    """The site's language for a requested code or locale: exact (``pt_BR``, ``pt-BR``), else by language alone
    (``pt``, ``pt_PT`` → ``pt_BR``; ``de_DE`` → ``de_CH``; ``es_VE`` → ``es``); None when the site lacks it."""
    if not wanted:
        return None
    wanted = wanted.strip().replace("-", "_")
    lowered = {code.lower(): code for code in LANGUAGES}
    if wanted.lower() in lowered:
        return lowered[wanted.lower()]
    base = wanted.split("_")[0].lower()
    return next((code for code in LANGUAGES if code.split("_")[0].lower() == base), None)


def tag(code: str) -> str:
    """The BCP 47 tag for HTML ``lang`` attributes: pt_BR → pt-BR."""
    return code.replace("_", "-")


def _fill(text: str, params: dict) -> str:
    """Placeholders filled; when a value is markup (a ``<span>`` kept for the live script), the result is markup
    with the translation and every other value escaped."""
    if not params:
        return text
    if any(isinstance(v, Markup) for v in params.values()):
        return Markup(escape(text)).format(**params)
    return text.format(**params)


class Language:
    """Translation and formatting for one language in the election's country."""

    def __init__(self, code: str, election_locale: str):
        self.code = code
        self.tag = tag(code)
        self.election_locale = Locale.parse(election_locale)
        territory = self.election_locale.territory
        base = code.split("_")[0]
        # Dates: the page's language with the election's country conventions when Babel knows the pair.
        try:
            self.locale = Locale.parse(f"{base}_{territory}") if territory else Locale.parse(code)
        except Exception:  # no such pair (e.g. en_VE): international English's conventions, or the language
            self.locale = Locale.parse("en_001") if base == "en" else Locale.parse(code)
        self._translations = translations(code)

    def t(self, message: str, **params) -> str:
        """The message in this language; ``{name}`` placeholders filled from ``params`` after translation."""
        legacy = MESSAGES.get(self.code, {}).get(message)
        return _fill(legacy if legacy is not None else self._translations.gettext(message), params)

    def tn(self, singular: str, plural: str, n: int, **params) -> str:
        """The singular or plural form (by the language's plural rule) for ``n``."""
        return _fill(self._translations.ngettext(singular, plural, n), params)

    @property
    def election_language(self) -> str:
        """The language the election's own texts (names, timeline entries, reasons typed by operators) are in."""
        return self.election_locale.language

    def foreign(self, text: str, language: str | None = None) -> Markup:
        """``text`` (escaped), in a ``<span lang="…">`` when it is in another language than the page's."""
        language = language or self.election_language
        if language.split("_")[0] == self.code.split("_")[0]:
            return Markup(escape(text))
        return Markup('<span lang="{}">{}</span>').format(tag(language), text)

    def lang_attr(self, language: str | None = None) -> Markup:
        """`` lang="es"`` for an element whose text is in the election's (or another) language, when the page
        is in another; nothing otherwise."""
        language = language or self.election_language
        if language.split("_")[0] == self.code.split("_")[0]:
            return Markup("")
        return Markup(' lang="{}"').format(tag(language))

    def level_text(self, election, level: str) -> tuple[str, bool]:
        """What this language calls a level of the geography (``[levels.<level>] name`` in the definition), and
        whether that is only the definition's own spelling (in the election's language)."""
        if level == "centre":
            return self.t("centre"), False
        extra = election.extra if isinstance(election.extra, dict) else {}
        names = extra.get("level_names", {}).get(level, {})
        base = self.code.split("_")[0]
        for key in (self.code, base, *(k for k in names if k.split("_")[0] == base)):
            if key in names:
                return names[key], False
        return names.get("*", level), True

    def level(self, election, level: str, capital: bool = False) -> Markup:
        """A level's name for a page: this language's, else the definition's marked as the election's language."""
        text, foreign = self.level_text(election, level)
        if capital:
            text = text[:1].upper() + text[1:]
        return self.foreign(text) if foreign else Markup(escape(text))

    def word(self, prefix: str, code: str) -> str:
        """A status or action code in words (catalogue id ``<prefix><code>``); a code without an entry yet is
        shown with spaces, never as an id."""
        key = f"{prefix}{code}"
        text = self.t(key)
        return code.replace("_", " ") if text == key else text

    def status(self, code: str) -> str:
        return self.word("status_", code)

    def event(self, code: str) -> str:
        """What happened to an acta (its history): received and counted, resolved and set aside, annulled…"""
        return self.word("event_", code)

    def reason(self, text: str) -> Markup:
        """A stored reason (the English sentence of domain/reasons.py) in this language; a reason typed by an
        operator is shown as typed, marked as the election's language."""
        parsed = parse_reason(text)
        if parsed is None:
            return self.foreign(text)
        code, params = parsed
        shown = {k: (self.number(v) if isinstance(v, int) and k != "difference" else v) for k, v in params.items()}
        if "difference" in params:
            shown["difference"] = ("+" if params["difference"] > 0 else "") + self.number(params["difference"])
        return Markup(escape(self.t(f"reason_{code}", **shown)))

    def reasons(self, text: str | None) -> list[Markup]:
        """Reasons joined with "; " (as an acta's history holds them), each in this language."""
        return [self.reason(part) for part in (text or "").split("; ") if part.strip()]

    def operator(self, name: str | None, roles: dict[int, str], mode: str) -> Markup:
        """Who did something, on a public page: the name as recorded (``full``), or only the role (``role``) of
        the token named "<name> (token N)"; "system" for the ingest's own work, "operator" for any other."""
        if not name:
            return Markup("")
        if mode != "role":
            return self.foreign(name)
        found = re.search(r"\(token (\d+)\)\s*$", name)
        role = roles.get(int(found.group(1))) if found else None
        if role:
            return Markup(escape(self.word("role_", role)))
        return Markup(escape(self.t("system") if name == "system" else self.t("operator")))

    def number(self, value: int | None) -> str:
        """A whole number in the election's locale (68.760 in Brazil, 25’122 in Switzerland)."""
        return "—" if value is None else self._grouped(format_decimal(value, locale=self.election_locale))

    def _grouped(self, text: str) -> str:
        cldr, printed = GROUP_SYMBOLS.get(self.election_locale.territory, ("", ""))
        return text.replace(cldr, printed) if cldr else text

    def percent(self, value: str | None) -> str:
        """A share already cut by the percent rule ("50.70"), printed in the election's locale ("50,70 %")."""
        if value is None:
            return "—"
        decimals = len(value.split(".")[1]) if "." in value else 0
        pattern = self.election_locale.percent_formats[None].pattern
        pattern = re.sub(r"0(?=[^0]*$)", "0." + "0" * decimals if decimals else "0", pattern, count=1)
        return self._grouped(format_percent(Decimal(value) / 100, format=pattern, locale=self.election_locale))

    def datetime(self, value: dt.datetime | str, time_zone: str) -> str:
        """A moment in the election's time zone, with the zone named (e.g. "… VET" or "… GMT-04:00")."""
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        zone = ZoneInfo(time_zone)
        text = format_datetime(value, format="medium", tzinfo=zone, locale=self.locale)
        return f"{text} {self.zone_name(value, time_zone)}"

    def zone_name(self, value: dt.datetime | None, time_zone: str) -> str:
        """The zone's short name at that moment (now if None): its abbreviation, or the UTC offset when it has
        none."""
        if value is None:
            value = dt.datetime.now(dt.timezone.utc)
        local = value.astimezone(ZoneInfo(time_zone)) if value.tzinfo else value.replace(tzinfo=ZoneInfo(time_zone))
        abbreviation = local.tzname() or ""
        if re.fullmatch(r"[A-Z]{2,5}", abbreviation):
            return abbreviation
        offset = local.utcoffset() or dt.timedelta(0)
        minutes = int(offset.total_seconds() // 60)
        sign = "+" if minutes >= 0 else "-"
        return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
