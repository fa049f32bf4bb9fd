"""Telerivet: the webhook is a form POST with event=incoming_message, id, from_number, content.

The reply is Telerivet's JSON ``{"messages": [{"content": …}]}``, sent back to
the sender.
"""

from __future__ import annotations

import json

from ...domain.errors import MalformedWebhook, Problem
from .common import Inbound, form, inbound

NAME = "telerivet"


def parse(content_type: str, body: bytes) -> Inbound:
    fields = form(content_type, body, NAME)
    if fields.get("event", "incoming_message") != "incoming_message":
        raise MalformedWebhook("not an incoming Telerivet message; nothing was stored", [Problem(
            "event", f"event {fields['event'][:40]!r}", "send only incoming_message events to this webhook")])
    sender = fields.get("from_number_e164") or fields.get("from_number")
    return inbound(NAME, fields.get("id"), sender, fields.get("content"), ("id", "from_number", "content"))


def reply(text: str, to: str = "") -> tuple[str, bytes]:
    return "application/json", json.dumps({"messages": [{"content": text}]}, ensure_ascii=False).encode()
