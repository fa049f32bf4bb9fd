"""Settings, declared once as data: name, default, help.

Each is read from the environment (``ESCRUTINIO_<NAME>``), then from an
optional TOML settings file (``ESCRUTINIO_SETTINGS_FILE``), then its
default. ``docs/settings.md`` lists them all, and a test keeps it so.
Nothing is read at import time: call :func:`load_settings`.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


class SettingsError(ValueError):
    """A setting has a value of the wrong kind, or the settings file cannot be read."""


@dataclass(frozen=True)
class Setting:
    name: str
    default: object
    help: str
    choices: tuple = ()  # the only values allowed, when the setting is one of a few words

    @property
    def env(self) -> str:
        return f"ESCRUTINIO_{self.name.upper()}"


SETTINGS = (
    Setting("database_url", "sqlite:///escrutinio.db", "Database URL: a SQLite file or postgresql+psycopg://…"),
    Setting("host", "127.0.0.1", "Address `escrutinio serve` listens on."),
    Setting("port", 8000, "Port `escrutinio serve` listens on."),
    Setting("workers", 1, "Processes `escrutinio serve` answers requests with (one per core is a good start; "
            "each keeps its own rendered pages, live streams and rate-limit counts)."),
    Setting("live_poll_seconds", 0.5,
            "How often the server looks for a newly published bulletin or timeline change to push to open pages."),
    Setting("sse_queue_size", 16, "Events kept per live reader before a slow reader is dropped."),
    Setting("max_body_bytes", 5_000_000, "Largest request body accepted by POST /api/v1/actas."),
    Setting("store_retry_after_seconds", 5,
            "Seconds a client is asked to wait (Retry-After) before sending again a write refused with 503 "
            "because the database cannot be written or reached."),
    Setting("max_write_body_bytes", 500_000,
            "Largest request body of every other operator's write (resolve, annul, timeline entries, …)."),
    Setting("max_comment_bytes", 32_000,
            "Largest request body of a write open to the public (comments, SMS webhooks, the observers' form), "
            "and of any request that only reads."),
    Setting("trusted_proxies", "", "Addresses of the reverse proxies whose X-Forwarded-For and X-Forwarded-Proto "
            "are believed, comma-separated (empty: none; the client is whoever connects)."),
    Setting("public_base_url", "", "The site's address as readers reach it, such as https://results.example.org: "
            "links in the Atom feed and JSON-LD use it, never the request's Host (empty: http://HOST:PORT)."),
    Setting("max_streams_per_address", 20,
            "Live event streams (/api/v1/events and /api/v1/timeline/events together) one client address may "
            "hold open at once."),
    Setting("rate_limit_per_second", 20.0,
            "Requests a second each client address may make without an operator token (0: no limit)."),
    Setting("rate_limit_burst", 200, "Requests a client address may make at once before the rate limit applies."),
    Setting("default_language", "", "Language of the pages when a reader has not chosen one "
            "(es, en, pt_BR or de_CH; empty: the election's locale's language, else en)."),
    Setting("authority_key_file", "", "File holding the authority's private key, which signs every bulletin's "
            "tree head: the owner's alone (mode 0600, refused otherwise); the database keeps only the public key. "
            "The production setup (docs/operations.md). Empty: the key is kept in the database, as stores made "
            "before this setting do."),
    Setting("public_operator_names", "full", "How public pages name who did something (an acta's history, key "
            "replacements, corrections of timeline entries): full (the operator's token name) or role (its role "
            "only, e.g. admin).", ("full", "role")),
    Setting("sms_webhook_secret", "", "Secret the SMS gateways' webhooks must send as ?secret=… "
            "(empty: webhooks take any request; for tests and demos only)."),
    Setting("webhook_interval_seconds", 5.0,
            "How often the server queues and sends partner webhooks (docs/webhooks.md); 0: never (run "
            "`escrutinio webhooks deliver --loop` elsewhere)."),
)
_BY_NAME = {s.name: s for s in SETTINGS}


class Settings(Mapping):
    """Resolved settings, read like a mapping or as attributes."""

    def __init__(self, values: dict[str, object]):
        self._values = values

    def __getitem__(self, key: str) -> object:
        return self._values[key]

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __getattr__(self, key: str) -> object:
        try:
            return self._values[key]
        except KeyError:
            raise AttributeError(key) from None

    def replace(self, **changes: object) -> Settings:
        unknown = set(changes) - set(_BY_NAME)
        if unknown:
            raise KeyError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        return Settings({**self._values, **changes})


def load_settings(environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    """Environment over settings file over defaults; ``overrides`` (e.g. CLI options) over all."""
    env = os.environ if environ is None else environ
    from_file = _file_values(env.get("ESCRUTINIO_SETTINGS_FILE"))
    values = {}
    for setting in SETTINGS:
        raw = env.get(setting.env, from_file.get(setting.name, setting.default))
        values[setting.name] = _coerce(setting, raw)
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Settings(values)


def _file_values(path: str | None) -> dict:
    if not path:
        return {}
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise SettingsError(f"cannot read the settings file {path} (ESCRUTINIO_SETTINGS_FILE): {exc.strerror}") \
            from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"the settings file {path} is not valid TOML: {exc}") from None
    unknown = set(data) - set(_BY_NAME)
    if unknown:
        raise SettingsError(f"{path}: unknown setting(s) {', '.join(sorted(unknown))}")
    return data


KIND_NAMES = {int: "whole number", float: "number", str: "text"}


def _coerce(setting: Setting, raw: object) -> object:
    kind = type(setting.default)
    if isinstance(raw, kind) and not isinstance(raw, bool):
        return _chosen(setting, raw)
    try:
        if isinstance(raw, bool) or (kind is int and isinstance(raw, float)):
            raise ValueError
        value = kind(raw)
    except (TypeError, ValueError):
        raise SettingsError(f"setting {setting.name} ({setting.env}): {raw!r} is not a "
                            f"{KIND_NAMES.get(kind, kind.__name__)}") from None
    return _chosen(setting, value)


def _chosen(setting: Setting, value: object) -> object:
    if setting.choices and value not in setting.choices:
        raise SettingsError(f"setting {setting.name} ({setting.env}): {value!r} is not one of "
                            f"{', '.join(setting.choices)}")
    return value
