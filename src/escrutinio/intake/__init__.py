"""Channels into the domain: election definitions and acta files, bytes to records."""
