"""Twilio Programmable Messaging: an incoming message is a form POST with MessageSid, From, Body.

The reply is TwiML (``<Response><Message>…</Message></Response>``), which
Twilio sends back to the sender as an SMS.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from .common import Inbound, form, inbound

NAME = "twilio"


def parse(content_type: str, body: bytes) -> Inbound:
    fields = form(content_type, body, NAME)
    message_id = fields.get("MessageSid") or fields.get("SmsSid")
    return inbound(NAME, message_id, fields.get("From"), fields.get("Body"), ("MessageSid", "From", "Body"))


def reply(text: str, to: str = "") -> tuple[str, bytes]:
    xml = f'<?xml version="1.0" encoding="UTF-8"?><Response><Message>{escape(text)}</Message></Response>'
    return "text/xml; charset=utf-8", xml.encode()
