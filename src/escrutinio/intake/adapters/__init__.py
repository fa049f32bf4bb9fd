"""Adapters: real result files of other systems, turned into escrutinio's own files.

Each adapter is a pure function from input files to a :class:`Bundle` (an
election, its actas and every problem met); :func:`write_bundle` writes the
bundle as an election definition and acta CSV files, for ``escrutinio init``
and ``escrutinio ingest``. Nothing here touches the database. The mappings
are documented in ``docs/formats/adapters.md``.

- :func:`adapt_tse_br`: Brazil, one state's presidential results per section
- :func:`adapt_onegov_vote`: Switzerland, OneGov "vote" exports per municipality
- :func:`adapt_nist`: a NIST SP 1500-100 v2 results report (XML or JSON)
- :func:`adapt_clarity`: Clarity detail XML, precinct or county level
"""

from .bundle import Bundle, write_bundle
from .clarity import adapt_clarity
from .nist_report import adapt_nist
from .onegov_vote import adapt_onegov_vote
from .tse_br import adapt_tse_br

__all__ = ["Bundle", "adapt_clarity", "adapt_nist", "adapt_onegov_vote", "adapt_tse_br", "write_bundle"]
