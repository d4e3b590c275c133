"""The one definition of an episode's "last contact", kept on the episode.

``Episode.last_contact_at`` is the latest of: the referral (enrolment), any message sent to
the patient (notifications), any answered questionnaire, any recorded episode event and any
contact recorded by staff (care). Each of those writers moves it forward with
:func:`episode_contacted` in its own transaction, so the "no contact" worklist (care), its count
on the staff home and the dashboard's no-contact figure and drill-down read one indexed column
(``episode_active_last_contact``) instead of probing four tables per episode
(docs/benchmarks.md). A date (a referral, an event) counts from the start of that day in the
service's time zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone

from surveys.models import Episode


def day_start(day: dt.date) -> dt.datetime:
    """The moment a dated contact (referral, event) counts from: the day's local midnight."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def episode_contacted(*, episode_ids: Iterable[int], at: dt.datetime) -> int:
    """Move the last contact of these episodes forward to ``at`` (one UPDATE; never back: a
    back-dated event or a late delivery receipt leaves a later contact in place)."""
    ids = list(episode_ids)
    if not ids:
        return 0
    return Episode.objects.filter(pk__in=ids, last_contact_at__lt=at).update(last_contact_at=at)


def no_contact_since(weeks: int, today: dt.date | None = None) -> dt.datetime:
    """The cutoff of "no contact for ``weeks`` weeks": the start of the day that many weeks
    ago. An episode whose last contact is before it has had none since (worklist and
    dashboard alike)."""
    today = today or timezone.localdate()
    return day_start(today - dt.timedelta(weeks=weeks))
