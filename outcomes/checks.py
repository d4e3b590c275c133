"""System checks: a bad definition file fails ``manage.py check`` before it can reach patients."""

from __future__ import annotations

from django.core.checks import Error, Tags, Warning, register
from django.db import DatabaseError

from outcomes.loading import DefinitionError, catalogue


@register("outcomes")
def definitions_check(app_configs, **kwargs) -> list[Error]:
    try:
        definitions = catalogue()
    except DefinitionError as error:
        return [Error(str(error), id="outcomes.E001")]
    try:  # the alert rules name instruments, scores and items of these definitions
        from outcomes.alert_rules import load_rule_sets

        load_rule_sets(definitions=definitions)
    except DefinitionError as error:
        return [Error(str(error), id="outcomes.E004")]
    errors = []
    for spec in definitions.instruments.values():
        errors.extend(_scoring_check(spec))
    return errors


def _scoring_check(spec) -> list[Error]:
    """Score the lowest, highest and empty answer sets: each must give every declared score."""
    from outcomes.scoring import score_answers

    answer_sets = {
        "lowest": {item.id: item.scale()[0] for item in spec.items},
        "highest": {item.id: item.scale()[1] for item in spec.items},
        "empty": {item.id: None for item in spec.items},
    }
    errors = []
    for name, answers in answer_sets.items():
        try:
            result = score_answers(spec, answers)
        except Exception as error:
            errors.append(
                Error(
                    f"{spec.code} {spec.version}: scoring the {name} answers failed: {error!r}",
                    id="outcomes.E002",
                )
            )
            continue
        for score in spec.scores:
            value = result["scores"].get(score.name)
            if (
                score.kind == "number"
                and value is not None
                and not (score.minimum - 1e-9 <= value <= score.maximum + 1e-9)
            ):
                errors.append(
                    Error(
                        f"{spec.code} {spec.version}: score '{score.name}' is {value} for the "
                        f"{name} answers, outside {score.minimum}-{score.maximum}.",
                        id="outcomes.E003",
                    )
                )
    return errors


@register("outcomes", Tags.database)
def patient_wording_check(app_configs, databases=None, **kwargs) -> list[Warning]:
    """Warn of published pathways whose licensed instruments have no patient wording loaded.

    A database check (``manage.py check --database default``; ``migrate`` runs it too). A
    warning, not an error, so ``migrate`` and ``import_licensed_wording`` still run: until the
    wording is imported nobody can be enrolled on the pathway and its invitations are held.
    """
    from outcomes.selectors import pathways_awaiting_wording

    if not databases:
        return []
    try:
        held = pathways_awaiting_wording()
    except DatabaseError:  # tables not created yet (a first migrate)
        return []
    return [
        Warning(
            f"Pathway {pathway.code} {pathway.version} is published but the licensed patient "
            f"wording of {', '.join(pathway.instruments)} is not loaded, so nobody can be "
            "enrolled on it and its invitations are held.",
            hint="Import the licensee's wording file: manage.py import_licensed_wording "
            "<file> (README, Licensed instruments). The demo shows placeholder labels instead "
            "(ALLOW_PLACEHOLDER_WORDING=true, never in production).",
            id="outcomes.W001",
        )
        for pathway in held
    ]
