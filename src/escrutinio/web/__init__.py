"""The public website and JSON API (the only layer that knows the web framework)."""

from .app import create_app

__all__ = ["create_app"]
