"""Inbound SMS from gateways: one module per gateway, each turning a webhook's body into an :class:`Inbound`.

Each module has ``NAME``, ``parse(content_type, body) -> Inbound`` (raising
:class:`~escrutinio.domain.errors.ObservationRejected` with every problem when
the body is not what that gateway sends) and ``reply(text) -> (media type,
bytes)``, the answer in the form the gateway relays to the sender. Field names
are the gateways' own, from their public documentation (docs/observers.md).
"""

from __future__ import annotations

from . import africastalking, rapidpro, smssync, telerivet, twilio
from .common import Inbound

GATEWAYS = {m.NAME: m for m in (twilio, rapidpro, africastalking, smssync, telerivet)}
ALIASES = {"textit": "rapidpro", "frontlinesms": "smssync"}

__all__ = ["ALIASES", "GATEWAYS", "Inbound", "gateway"]


def gateway(name: str):
    """The module of gateway ``name`` (or an alias), or None."""
    return GATEWAYS.get(ALIASES.get(name, name))
