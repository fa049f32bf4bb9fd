"""Artefacts from the domain: readable text of bulletins and their differences."""
