"""The `escrutinio` command: a thin shell over escrutinio.services.

The root group and shared options are in ``base``; each command group in a module of its own,
imported here so that every command is registered on ``main``.
"""

from __future__ import annotations

from . import adapt, bulletins, claims, incidents, keys, night, observers, previous, quickcount, serving, timeline, tokens, upkeep, verify, webhooks  # noqa: F401 - registers commands
from .base import main, reference_markdown

__all__ = ["main", "reference_markdown"]
