"""Observers, their reports and the quick count on the web: API routes and pages, one module each."""
