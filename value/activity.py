"""The activity types that carry a unit cost: the MSK pathway's steps and each procedure type
the pathways name (pure: from the definition files, no ORM)."""

from __future__ import annotations

from outcomes.loading import catalogue

# The steps of the MSK pathway every condition shares (issue 12). Procedure types come from the
# pathway definitions (e.g. knee-pain 1.1.0: total-knee-replacement, injection, ...).
PATHWAY_STEPS = {
    "triage-assessment": "Triage or assessment",
    "physio-session": "Physiotherapy session",
    "fcp-session": "First-contact practitioner session",
    "injection": "Injection",
    "imaging": "Imaging (X-ray, ultrasound or MRI)",
    "specialist-outpatient": "Specialist outpatient appointment",
    "pain-management-programme": "Pain management programme",
}

# What an event recorded in proms counts as (surveys.EpisodeEvent.Kind): an assessment is a
# triage/assessment; a procedure counts as its procedure type's code.
ASSESSMENT_EVENT = "triage-assessment"


def activity_types() -> dict[str, str]:
    """Every costable activity type code with its label, pathway steps first."""
    types = dict(PATHWAY_STEPS)
    for pathway in catalogue().current_pathways():
        for procedure in pathway.procedure_types:
            types.setdefault(procedure.code, procedure.label)
    return types
