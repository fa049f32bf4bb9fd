"""SMSSync (and FrontlineSMS's phones using the same protocol): a form POST with message_id, from, message.

Also sent: sent_to, sent_timestamp, device_id and secret. The reply is
SMSSync's JSON: ``{"payload": {"success": true, "task": "send", "messages":
[{"to": …, "message": …}]}}``, which the phone sends as an SMS.
"""

from __future__ import annotations

import json

from .common import Inbound, form, inbound

NAME = "smssync"


def parse(content_type: str, body: bytes) -> Inbound:
    fields = form(content_type, body, NAME)
    return inbound(NAME, fields.get("message_id"), fields.get("from"), fields.get("message"),
                   ("message_id", "from", "message"))


def reply(text: str, to: str = "") -> tuple[str, bytes]:
    payload = {"payload": {"success": True, "error": None, "task": "send",
                           "messages": [{"to": to, "message": text}]}}
    return "application/json", json.dumps(payload, ensure_ascii=False).encode()
