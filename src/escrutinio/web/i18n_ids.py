"""Message ids that the templates and pages compute at run time (``t('status_' ~ code)``), listed so that
``python -m escrutinio.web.catalogues`` puts them in every catalogue. Add one line per new code."""

from .i18n import N_

# acta and table statuses (domain/model.py), contest outcomes (domain/outcome)
STATUSES = (
    N_("status_counted"), N_("status_quarantined"), N_("status_conflicting"), N_("status_conflict"),
    N_("status_set_aside"), N_("status_annulled"), N_("status_not_received"),
    N_("status_leading"), N_("status_decided"), N_("status_runoff"), N_("status_no_quorum"),
    N_("status_accepted"), N_("status_rejected"),
)
# the percent rule's methods (domain/percent.py)
PERCENT_METHODS = (N_("truncate"), N_("half_up"))
# timeline changes (domain/timeline.py)
TIMELINE_ACTIONS = (N_("action_posted"), N_("action_edited"), N_("action_pinned"), N_("action_unpinned"),
                    N_("action_deleted"))
# observers' kinds (domain/observation.py), with "_" read as a space
OBSERVER_KINDS = (N_("international"), N_("national"), N_("media"), N_("party witness"))
# claims' verdicts (domain/claims.py), with "_" read as a space
CLAIM_VERDICTS = (N_("supported"), N_("contradicted"), N_("not yet checkable"))
# how an acta came in (domain/model.py: MANUAL, RECOUNT), and a manual acta's first entry
ACTA_ENTRIES = (N_("entry_manual"), N_("entry_recount"), N_("status_awaiting_second_entry"))
# reasons of the register of refused actas (services/intake.py: REFUSAL_REASONS)
REFUSAL_REASONS = (N_("refused_bad_signature"), N_("refused_unsigned"), N_("refused_unknown_key"),
                   N_("refused_unknown_table"), N_("refused_unknown_contest"), N_("refused_malformed"),
                   N_("refused_too_large"))
# a previous election: the units of the transfer table, and its caveats (services/comparison.py)
TRANSFER = (
    N_("unit_centre"), N_("unit_area"),
    N_("Nobody knows how any one person voted: these figures are inferred from totals per area."),
    N_("The bounds hold without any assumption; the truth lies between them."),
    N_("The estimate assumes each earlier group behaved alike in every area; where it lies outside the bounds, "
       "that assumption is wrong there and the bounds are what holds."),
    N_("Only areas whose every table is counted are used; 'did not vote' also holds people on only one of the "
       "two registers (new voters, those who moved or died)."),
)
