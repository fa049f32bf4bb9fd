"""Operator tokens at the web edge, and a rate limit for the public.

Mutating endpoints need ``Authorization: Bearer <token>`` with a fitting
role: no or a bad token is 401, a token whose role may not do it is 403.
Public reads are rate-limited per client address (a token bucket), so one
client cannot starve the others; operators with a valid token are not.
"""

from __future__ import annotations

import asyncio
import time

from fastapi import Request

from .. import services
from ..services.tokens import Forbidden, Unauthenticated

__all__ = ["Forbidden", "RateLimiter", "Unauthenticated", "operator", "operator_name"]


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def operator(request: Request, *roles: str) -> dict:
    """The operator behind this request's token, if its role allows (admin always does)."""
    store = request.app.state.store
    return await asyncio.to_thread(services.tokens.authenticate, store, bearer(request), *roles)


def operator_name(who: dict) -> str:
    """How an operator is named in an acta's history: their name and token id, never the token."""
    return services.tokens.operator_label(who)


class RateLimiter:
    """Token buckets per client address: ``rate`` requests a second, bursts up to ``burst``."""

    def __init__(self, rate: float, burst: int, max_clients: int = 100_000):
        self.rate, self.burst, self.max_clients = rate, burst, max_clients
        self.buckets: dict[str, tuple[float, float]] = {}

    def allow(self, client: str) -> tuple[bool, float]:
        """Whether ``client`` may make a request now, and if not, how many seconds until it may."""
        now = time.monotonic()
        tokens, last = self.buckets.get(client, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate)
        if len(self.buckets) >= self.max_clients and client not in self.buckets:
            self.buckets.clear()  # a flood of addresses: start afresh rather than grow without bound
        if tokens < 1:
            self.buckets[client] = (tokens, now)
            return False, (1 - tokens) / self.rate
        self.buckets[client] = (tokens - 1, now)
        return True, 0.0
