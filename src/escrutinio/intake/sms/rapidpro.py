"""RapidPro and TextIt: a flow's "Call Webhook" action posts JSON with the contact and the input message.

Read: ``input.uuid`` (the message), ``contact.urn`` (``tel:+…``; or
``input.urn``) and ``input.text``. The reply is JSON ``{"reply": …}``; the flow
sends it on with ``@webhook.reply`` (``@results.<name>.extra.reply`` in older
flows).
"""

from __future__ import annotations

import json

from .common import Inbound, inbound, json_body

NAME = "rapidpro"


def parse(content_type: str, body: bytes) -> Inbound:
    data = json_body(content_type, body, NAME)
    message = data.get("input") if isinstance(data.get("input"), dict) else {}
    contact = data.get("contact") if isinstance(data.get("contact"), dict) else {}
    urn = contact.get("urn") or message.get("urn")
    if isinstance(urn, dict):  # some versions spell the URN out: {"scheme": "tel", "path": "+…"}
        urn = urn.get("path")
    return inbound(NAME, message.get("uuid"), urn, message.get("text"), ("input.uuid", "contact.urn", "input.text"))


def reply(text: str, to: str = "") -> tuple[str, bytes]:
    return "application/json", json.dumps({"reply": text}, ensure_ascii=False).encode()
