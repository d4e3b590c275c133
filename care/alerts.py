"""Score alerts: raise them from stored answers with the current rule set, and move them through
their states (new -> seen -> acted on -> closed), audited, with who and when.

``alerts_raise`` runs inside ``response_submit``'s transaction (surveys.signals.response_stored),
so answers and their alerts are stored together. ``alerts_raise_all`` evaluates every stored
response in bulk (a rebuild, the demo, the benchmark); both use :func:`episode_findings`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from care.models import Alert, AlertChange
from outcomes.alert_rules import AlertRuleSet, Finding, current_rule_set, evaluate
from outcomes.loading import catalogue
from outcomes.services import audit_record
from surveys.models import Episode, InstrumentResult, Response
from surveys.services import JourneyError, pathway_spec

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Answered:
    """One stored response of an episode, as the rules need it."""

    response_id: int
    submitted_at: object
    baseline: bool  # the pathway's baseline timepoint (referral-anchored, first)
    results: dict  # instrument code -> (InstrumentSpec, scores, answers)


def episode_findings(
    answered: list[Answered], rule_set: AlertRuleSet, only: int | None = None
) -> list[tuple[Answered, Finding]]:
    """Each rule that fires on each response of one episode (or only on response ``only``).

    The reference for "since baseline" is the episode's baseline answer and nothing else: with no
    baseline answered, no change since baseline exists (the same rule as the timeline and the
    outcome figures). "Since the previous answers" is the latest earlier answer to the same
    instrument. A rule met by consecutive answers to its instrument raises one alert, on the
    first of them: a patient still worse than at baseline six months later is the same news,
    and repeating it would only teach staff to ignore alerts. Once an answer no longer meets
    the rule, the next one that does raises a new alert.
    """
    answered = sorted(answered, key=lambda a: (a.submitted_at, a.response_id))
    baseline = next((a for a in answered if a.baseline), None)
    findings = []
    latest: dict[str, dict] = {}
    firing: set[str] = set()  # rules met by the latest answer to their instrument
    for item in answered:
        for code, (spec, scores, answers) in item.results.items():
            rules = rule_set.for_instrument(code)
            if rules:
                reference = (
                    baseline.results.get(code) if baseline and baseline is not item else None
                )
                fired = evaluate(
                    rules,
                    spec,
                    scores=scores,
                    answers=answers,
                    baseline=reference[1] if reference else None,
                    previous=latest.get(code),
                )
                for finding in fired:
                    new = finding.rule.code not in firing
                    if new and (only is None or item.response_id == only):
                        findings.append((item, finding))
                firing -= {rule.code for rule in rules}
                firing |= {finding.rule.code for finding in fired}
            latest[code] = scores
    return findings


def _answered(episode: Episode, responses: Iterable[Response]) -> list[Answered]:
    baseline_code = pathway_spec(episode.pathway).timepoints[0].code
    definitions = catalogue()
    rows = []
    for response in responses:
        invitation = response.invitation
        results = {}
        for result in response.results.all():
            spec = definitions.instrument(result.instrument.code, result.instrument.version)
            results[spec.code] = (spec, result.scores, response.answers.get(spec.code) or {})
        rows.append(
            Answered(
                response_id=response.pk,
                submitted_at=response.submitted_at,
                baseline=invitation.timepoint == baseline_code
                and invitation.anchor_event_id is None,
                results=results,
            )
        )
    return rows


def _alert(episode: Episode, item: Answered, finding: Finding, rule_set: AlertRuleSet) -> Alert:
    return Alert(
        episode_id=episode.pk,
        provider_id=episode.provider_id,
        response_id=item.response_id,
        rules_version=rule_set.version,
        rule=finding.rule.code,
        instrument=finding.rule.instrument,
        level=finding.rule.level,
        title=finding.rule.title[:200],
        summary=finding.summary[:300],
        raised_at=item.submitted_at,
    )


def alerts_raise(*, response: Response) -> list[Alert]:
    """Raise the alerts the current rules give for a newly stored response (idempotent)."""
    rule_set = current_rule_set()
    episode = Episode.objects.select_related("pathway").get(invitations__response=response)
    responses = (
        Response.objects.filter(invitation__episode=episode)
        .select_related("invitation")
        .prefetch_related("results__instrument")
    )
    findings = episode_findings(_answered(episode, responses), rule_set, only=response.pk)
    alerts = [_alert(episode, item, finding, rule_set) for item, finding in findings]
    Alert.objects.bulk_create(alerts, ignore_conflicts=True)
    if alerts:
        logger.debug("Response %s raised %s alert(s)", response.pk, len(alerts))
    return alerts


def alerts_raise_all(*, episode_ids: Iterable[int] | None = None, batch: int = 2000) -> int:
    """Evaluate every stored response (of ``episode_ids``, else all) and store the alerts they
    give that are not stored yet. Returns how many alerts were found (stored or already there)."""
    rule_set = current_rule_set()
    codes = {rule.instrument for rule in rule_set.rules}
    episodes = Episode.objects.filter(invitations__status="completed").distinct()
    if episode_ids is not None:
        episodes = episodes.filter(pk__in=list(episode_ids))
    ids = list(episodes.order_by("pk").values_list("pk", flat=True))
    definitions = catalogue()
    found = 0
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        by_episode: dict[int, dict[int, Answered]] = {}
        meta = {e.pk: e for e in Episode.objects.filter(pk__in=chunk).select_related("pathway")}
        baseline_codes = {pk: pathway_spec(e.pathway).timepoints[0].code for pk, e in meta.items()}
        rows = (
            InstrumentResult.objects.filter(
                response__invitation__episode_id__in=chunk, instrument__code__in=codes
            )
            .values_list(
                "response_id",
                "response__submitted_at",
                "response__invitation__episode_id",
                "response__invitation__timepoint",
                "response__invitation__anchor_event_id",
                "instrument__code",
                "instrument__version",
                "scores",
                "response__answers",
            )
            .iterator(chunk_size=5000)
        )
        for rid, at, eid, timepoint, anchor, code, version, scores, answers in rows:
            item = by_episode.setdefault(eid, {}).get(rid)
            if item is None:
                item = Answered(
                    rid, at, timepoint == baseline_codes[eid] and anchor is None, results={}
                )
                by_episode[eid][rid] = item
            spec = definitions.instrument(code, version)
            item.results[code] = (spec, scores, (answers or {}).get(code) or {})
        alerts = []
        for eid, answered in by_episode.items():
            for item, finding in episode_findings(list(answered.values()), rule_set):
                alerts.append(_alert(meta[eid], item, finding, rule_set))
        found += len(alerts)
        Alert.objects.bulk_create(alerts, ignore_conflicts=True, batch_size=2000)
    return found


# --- States ---------------------------------------------------------------------------------

# Allowed moves. A note is required to act on an alert (what was done) and to close one that was
# never acted on (why no action was needed); "seen" needs none.
TRANSITIONS = {
    Alert.State.NEW: (Alert.State.SEEN, Alert.State.ACTED, Alert.State.CLOSED),
    Alert.State.SEEN: (Alert.State.ACTED, Alert.State.CLOSED),
    Alert.State.ACTED: (Alert.State.CLOSED,),
    Alert.State.CLOSED: (),
}


def note_required(from_state: str, to_state: str) -> bool:
    return to_state == Alert.State.ACTED or (
        to_state == Alert.State.CLOSED and from_state != Alert.State.ACTED
    )


@transaction.atomic
def alert_transition(*, alert: Alert, to_state: str, by, note: str = "") -> Alert:
    """Move an alert to ``to_state`` with who, when and the note; audited. Raises
    :class:`JourneyError` for a move the state machine does not allow (e.g. a second press after
    someone else closed it) or a missing note."""
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    note = note.strip()
    if to_state not in TRANSITIONS.get(alert.state, ()):
        raise JourneyError(
            _("This alert is already %(state)s, so it cannot be changed that way.")
            % {"state": alert.get_state_display().lower()}
        )
    if note_required(alert.state, to_state) and not note:
        raise JourneyError(
            _("Say what was done for the patient.")
            if to_state == Alert.State.ACTED
            else _("Say why no action is needed.")
        )
    now = timezone.now()
    AlertChange.objects.create(
        alert=alert, from_state=alert.state, to_state=to_state, at=now, by=by, note=note
    )
    audit_record(
        actor=by,
        action="alert.state_changed",
        obj=alert,
        details={"from": alert.state, "to": to_state, "episode": alert.episode_id},
    )
    alert.state, alert.state_changed_at, alert.state_changed_by = to_state, now, by
    alert.save(update_fields=["state", "state_changed_at", "state_changed_by"])
    return alert
