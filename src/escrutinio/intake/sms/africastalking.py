"""Africa's Talking: the incoming-messages callback is a form POST with id, from, to, text, date, linkId.

Africa's Talking does not relay the callback's answer to the sender; the
reply text is answered as plain text (and is what an operator's bulk-send
would send).
"""

from __future__ import annotations

from .common import Inbound, form, inbound, plain

NAME = "africastalking"


def parse(content_type: str, body: bytes) -> Inbound:
    fields = form(content_type, body, NAME)
    return inbound(NAME, fields.get("id"), fields.get("from"), fields.get("text"), ("id", "from", "text"))


def reply(text: str, to: str = "") -> tuple[str, bytes]:
    return plain(text)
