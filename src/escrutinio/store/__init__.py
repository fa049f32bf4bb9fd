"""The only layer that knows SQL: the election, actas and bulletins in a database."""

from sqlalchemy.engine import Connection

from .store import Store

__all__ = ["Connection", "Store"]
