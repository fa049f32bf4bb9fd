"""Time for services: UTC, and injectable so the demo can replay a night."""

from __future__ import annotations

import datetime as dt


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)
