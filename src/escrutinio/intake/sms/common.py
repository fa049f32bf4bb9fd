"""What every gateway module shares: the inbound message and reading form or JSON bodies."""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import parse_qs

from ...domain.errors import MalformedWebhook, Problem

MAX_BODY = 64_000
MAX_ID = 128
MAX_TEXT = 2000


@dataclass(frozen=True)
class Inbound:
    message_id: str
    sender: str  # as the gateway gave it; normalised by the service
    text: str


def form(content_type: str, body: bytes, gateway: str) -> dict[str, str]:
    """An application/x-www-form-urlencoded body as single values."""
    if "application/x-www-form-urlencoded" not in content_type.lower():
        raise _refused(gateway, "", f"content type {content_type or 'none'!r}; {gateway} posts a form",
                       "send application/x-www-form-urlencoded as the gateway does")
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body))
    except (UnicodeDecodeError, ValueError) as exc:
        raise _refused(gateway, "", f"unreadable form body ({exc})", "send a UTF-8 form body") from None
    return {k: v[0] for k, v in fields.items()}


def json_body(content_type: str, body: bytes, gateway: str) -> dict:
    if "json" not in content_type.lower():
        raise _refused(gateway, "", f"content type {content_type or 'none'!r}; {gateway} posts JSON",
                       "send application/json as the gateway does")
    try:
        found = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise _refused(gateway, "", f"unreadable JSON ({exc})", "send the gateway's JSON body") from None
    if not isinstance(found, dict):
        raise _refused(gateway, "", "the JSON body is not an object", "send the gateway's JSON body")
    return found


def inbound(gateway: str, message_id: object, sender: object, text: object, names: tuple[str, str, str]) -> Inbound:
    """Check the three fields (named as the gateway names them) and make the message; every problem at once."""
    problems = []
    for value, name, limit in ((message_id, names[0], MAX_ID), (sender, names[1], 64), (text, names[2], MAX_TEXT)):
        if not isinstance(value, str) or (not value.strip() and name != names[2]):
            problems.append(Problem(name, "missing" if value is None else "empty or not text",
                                    f"{gateway} sends {name} with every message; check the gateway's settings"))
        elif len(value) > limit:
            problems.append(Problem(name, f"longer than {limit} characters", "send the message as the gateway does"))
    if problems:
        raise MalformedWebhook(f"not a {gateway} message; nothing was stored", problems)
    return Inbound(message_id.strip(), sender.strip(), text)


def _refused(gateway: str, field: str, message: str, action: str) -> MalformedWebhook:
    return MalformedWebhook(f"not a {gateway} message; nothing was stored", [Problem(field, message, action)])


def plain(text: str) -> tuple[str, bytes]:
    return "text/plain; charset=utf-8", text.encode()
