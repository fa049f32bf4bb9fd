"""The only layer that knows SQL: the election, actas and bulletins in a database."""

from .store import Store

__all__ = ["Store"]
