"""Message ids that the templates and pages compute at run time (``t('status_' ~ code)``), listed so that
``python -m escrutinio.web.catalogues`` puts them in every catalogue. Add one line per new code."""

from .i18n import N_

# acta and table statuses (domain/model.py), contest outcomes (domain/outcome): lang.status(code)
STATUSES = (
    N_("status_counted"), N_("status_quarantined"), N_("status_conflicting"), N_("status_conflict"),
    N_("status_set_aside"), N_("status_annulled"), N_("status_not_received"),
    N_("status_leading"), N_("status_decided"), N_("status_runoff"), N_("status_no_quorum"),
    N_("status_accepted"), N_("status_rejected"),
)
# what happened to an acta, in its history (services/intake.py, services/resolve.py): lang.event(code)
EVENTS = (
    N_("event_counted"), N_("event_quarantined"), N_("event_conflicting"), N_("event_annulled"),
    N_("event_resolved_counted"), N_("event_resolved_set_aside"), N_("event_awaiting_second_entry"),
    N_("event_second_entry_counted"), N_("event_second_entry_quarantined"), N_("event_second_entry_conflicting"),
    N_("event_replaced_by_recount"),
)
# quarantine reasons (domain/reasons.py), with their parameters: lang.reason(stored sentence)
REASONS = (N_("reason_sum_mismatch"), N_("reason_sum_mismatch_blank"), N_("reason_over_register"),
           N_("reason_over_register_extra"))
# operators' roles (services/tokens.py), when public_operator_names = "role": lang.operator(...)
ROLES = (N_("role_admin"), N_("role_transmission"), N_("role_editor"), N_("role_observer"), N_("role_clerk"))
# the percent rule's methods (domain/percent.py), with {decimals}
PERCENT_METHODS = (N_("percent_rule_truncate"), N_("percent_rule_half_up"))
# timeline changes (domain/timeline.py): lang.word('action_', code)
TIMELINE_ACTIONS = (N_("action_posted"), N_("action_edited"), N_("action_pinned"), N_("action_unpinned"),
                    N_("action_deleted"), N_("action_comment"))
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
# what a page that is not found was looking for (domain/errors.py NotFound kinds): error.html
NOT_FOUND = (N_("notfound_area"), N_("notfound_table"), N_("notfound_bulletin"), N_("notfound_timeline_entry"),
             N_("notfound_incident"), N_("notfound_claim"), N_("notfound_contest"), N_("notfound_acta"))
# error pages other than 404, by status: error.html (others say "Something went wrong.")
ERRORS = (N_("error_429"), N_("error_500"), N_("error_503"))
# incidents (domain/messages.py CATEGORIES, SEVERITIES; domain/observation.py INCIDENT_STATUSES)
INCIDENTS = (N_("incident_harassment"), N_("incident_violence"), N_("incident_arrest"),
             N_("incident_illegal_propaganda"), N_("incident_opened_late"), N_("incident_kept_open_for_queue"),
             N_("incident_machine_failure"), N_("incident_voter_turned_away"), N_("incident_other"),
             N_("severity_low"), N_("severity_medium"), N_("severity_high"),
             N_("incident_status_unverified"), N_("incident_status_verified"), N_("incident_status_rejected"),
             N_("incident_status_escalated"), N_("incident_status_closed"))
# the headline's verdict (web/headline.py), chosen at run time
HEADLINE = (N_("{second} can no longer overtake {leader}"), N_("{leader} leads {second}"))
