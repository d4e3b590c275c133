"""The patient journey: organisations, patients, episodes on pathways, invitations, responses.

Schedules become rows (CONVENTIONS.md): enrolment writes one invitation per timepoint with its
window, so the scheduler and staff pages read state instead of recomputing timelines.
"""

from __future__ import annotations

import datetime as dt
import json

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from outcomes.models import Instrument, Pathway
from surveys.validators import name_validator


class ProviderQuerySet(models.QuerySet):
    def for_user(self, user) -> ProviderQuerySet:
        if user.is_superuser:
            return self.all()
        return self.filter(staff=user)


class Provider(models.Model):
    """An organisation that delivers MSK care and enrols patients (MSK Hub, trust, ...)."""

    class Kind(models.TextChoices):
        MSK_HUB = "msk-hub", _("MSK Hub")
        TRUST = "trust", _("NHS trust")
        COMMUNITY = "community", _("Community service")
        INDEPENDENT = "independent", _("Independent sector")

    ods_code = models.CharField(_("ODS code"), max_length=10, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    contact_phone = models.CharField(
        max_length=30, blank=True, help_text=_("Shown to patients who need help with a link.")
    )
    staff = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="providers")

    objects = ProviderQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Practice(models.Model):
    """A GP practice patients are registered with (for practice variation)."""

    ods_code = models.CharField(_("ODS code"), max_length=10, unique=True)
    name = models.CharField(max_length=200)
    postcode = models.CharField(max_length=8, blank=True)
    list_size = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.ods_code})"


class PracticePopulation(models.Model):
    """Patients registered at a practice in one sex and age band (NHS Digital "Patients
    Registered at a GP Practice", quinary-age file, summed into the bands outcomes compare by).

    Loaded only where a deployment has the file (``manage.py load_practice_populations``); the
    practices endpoint standardises enrolment by age and sex for practices that have these rows.
    """

    class Sex(models.TextChoices):
        FEMALE = "female", _("Female")
        MALE = "male", _("Male")

    AGE_BANDS = ("0-49", "50-59", "60-69", "70-79", "80+")  # as surveys.sql.AGE_BANDS

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="populations")
    sex = models.CharField(max_length=6, choices=Sex.choices)
    age_band = models.CharField(max_length=5, choices=[(band, band) for band in AGE_BANDS])
    registered = models.PositiveIntegerField(_("registered patients"))
    extract_date = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "sex", "age_band"], name="practice_population_once_per_stratum"
            )
        ]

    def __str__(self) -> str:
        return f"{self.practice.ods_code} {self.sex} {self.age_band}: {self.registered}"


class Area(models.Model):
    """A 2021 LSOA with its deprivation (English Indices of Deprivation 2025)."""

    lsoa_code = models.CharField(max_length=9, unique=True)
    name = models.CharField(max_length=100, blank=True)
    imd_decile = models.PositiveSmallIntegerField(help_text=_("1 = most deprived 10%"))

    def __str__(self) -> str:
        return self.lsoa_code


class PostcodeArea(models.Model):
    """Postcode to LSOA lookup, loaded from a CSV with ``manage.py load_postcode_areas``."""

    postcode = models.CharField(max_length=8, primary_key=True)
    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="postcodes")

    def __str__(self) -> str:
        return self.postcode


class PatientQuerySet(models.QuerySet):
    def for_user(self, user) -> PatientQuerySet:
        """Patients with an episode at one of the user's providers."""
        if user.is_superuser:
            return self.all()
        return self.filter(episodes__provider__staff=user).distinct()


class Patient(models.Model):
    class Sex(models.TextChoices):
        FEMALE = "female", _("Female")
        MALE = "male", _("Male")
        OTHER = "other", _("Other")
        NOT_KNOWN = "not-known", _("Not known")

    class Channel(models.TextChoices):
        SMS = "sms", _("Text message")
        EMAIL = "email", _("Email")
        LETTER = "letter", _("Letter")

    nhs_number = models.CharField(_("NHS number"), max_length=10, unique=True)
    # One rule for names everywhere (surveys/validators.py): the model's validator serves the
    # admin and any ModelForm; the staff form, CSV upload and patient_create apply it too.
    given_name = models.CharField(_("first name"), max_length=100, validators=[name_validator])
    family_name = models.CharField(_("last name"), max_length=100, validators=[name_validator])
    date_of_birth = models.DateField(_("date of birth"))
    sex = models.CharField(max_length=10, choices=Sex.choices)
    address_line_1 = models.CharField(max_length=100, blank=True)
    address_line_2 = models.CharField(max_length=100, blank=True)
    town = models.CharField(max_length=100, blank=True)
    postcode = models.CharField(max_length=8)
    area = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.SET_NULL, related_name="patients"
    )
    practice = models.ForeignKey(
        Practice, null=True, blank=True, on_delete=models.SET_NULL, related_name="patients"
    )
    mobile = models.CharField(max_length=16, blank=True, help_text=_("E.164, e.g. +447700900123"))
    email = models.EmailField(blank=True)
    preferred_channel = models.CharField(max_length=10, choices=Channel.choices)
    preferred_language = models.CharField(max_length=10, default="en")
    contact_consent = models.BooleanField(_("agrees to be contacted"), default=False)
    opted_out_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["family_name", "given_name"]

    def __str__(self) -> str:
        return f"Patient {self.pk}"  # never a name or NHS number: str() ends up in logs

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


class EpisodeQuerySet(models.QuerySet):
    def for_user(self, user) -> EpisodeQuerySet:
        if user.is_superuser:
            return self.all()
        return self.filter(provider__staff=user)


class Episode(models.Model):
    """A patient on one condition pathway with one provider, from referral to closure."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        DISCHARGED = "discharged", _("Discharged")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        DIED = "died", _("Died")

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="episodes")
    pathway = models.ForeignKey(Pathway, on_delete=models.PROTECT, related_name="episodes")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="episodes")
    referred_on = models.DateField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    closed_on = models.DateField(null=True, blank=True)
    # Denormalised (surveys/contact.py): the latest of the referral, any message sent, any
    # answer, any event and any contact staff recorded, moved forward by each of those writers.
    last_contact_at = models.DateTimeField(
        help_text=_("Latest referral, message sent, answer, event or staff contact")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = EpisodeQuerySet.as_manager()

    class Meta:
        ordering = ["-referred_on"]
        constraints = [
            # Re-uploading a referral file, or a double click, never enrols a patient twice.
            models.UniqueConstraint(
                fields=["patient", "pathway", "provider", "referred_on"],
                name="episode_once_per_referral",
            )
        ]
        indexes = [
            # The staff home's recent enrolments of a provider, newest referral first.
            models.Index(
                fields=["provider", "-referred_on", "-created_at", "-id"], name="episode_recent"
            ),
            # "No contact for N weeks" (worklist, staff home count, dashboard): active episodes
            # of a provider by last contact, one index range.
            # (With the id: the overdue worklist's join reads a provider's active episodes from
            # the index alone on PostgreSQL.)
            models.Index(
                fields=["provider", "last_contact_at"],
                include=["id"],
                name="episode_active_last_contact",
                condition=Q(status="active"),
            ),
        ]

    def __str__(self) -> str:
        return f"Episode {self.pk}"

    def save(self, *args, **kwargs) -> None:
        if self.last_contact_at is None and self.referred_on is not None:
            # A new episode's last contact is its referral (bulk writers set it themselves).
            self.last_contact_at = timezone.make_aware(
                dt.datetime.combine(self.referred_on, dt.time())
            )
        super().save(*args, **kwargs)


class EpisodeEvent(models.Model):
    class Kind(models.TextChoices):
        ASSESSMENT = "assessment", _("Assessment")
        PROCEDURE = "procedure", _("Procedure")
        DISCHARGE = "discharge", _("Discharge")
        WITHDRAWAL = "withdrawal", _("Withdrawal")
        DEATH = "death", _("Death")

    CLOSING = (Kind.DISCHARGE, Kind.WITHDRAWAL, Kind.DEATH)

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    occurred_on = models.DateField()
    procedure = models.CharField(max_length=100, blank=True, help_text=_("e.g. knee replacement"))
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["occurred_on", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.occurred_on}"


class Invitation(models.Model):
    """One timepoint of one episode: its window, its link and where the patient has got to."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        SENT = "sent", _("Sent")
        OPENED = "opened", _("Opened")
        PARTIAL = "partial", _("Partly answered")
        COMPLETED = "completed", _("Completed")
        EXPIRED = "expired", _("Expired")
        CANCELLED = "cancelled", _("Cancelled")

    OUTSTANDING = (Status.SCHEDULED, Status.SENT, Status.OPENED, Status.PARTIAL)

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="invitations")
    timepoint = models.CharField(max_length=50)
    anchor_event = models.ForeignKey(
        EpisodeEvent, null=True, blank=True, on_delete=models.CASCADE, related_name="invitations"
    )
    due_on = models.DateField()
    opens_on = models.DateField()
    closes_on = models.DateField()
    follow_up = models.BooleanField(default=False)
    instruments = models.JSONField(help_text=_("[[code, version], ...] fixed at enrolment"))
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SCHEDULED)
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    dob_attempts = models.PositiveSmallIntegerField(default=0)
    locked_at = models.DateTimeField(null=True, blank=True)
    draft_answers = models.JSONField(default=dict, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    next_action_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["episode", "timepoint"],
                condition=Q(anchor_event__isnull=True),
                name="invitation_once_per_timepoint",
            ),
            models.UniqueConstraint(
                fields=["episode", "timepoint", "anchor_event"],
                condition=Q(anchor_event__isnull=False),
                name="invitation_once_per_timepoint_and_event",
            ),
        ]
        indexes = [
            # The scheduler's due-work query touches only outstanding rows that are due.
            models.Index(
                fields=["next_action_at"],
                name="invitation_due",
                condition=Q(status__in=["scheduled", "sent", "opened", "partial"]),
            ),
            # Worklists (care/worklists.py): questionnaires past their due date still outstanding
            # and not locked, without reading the scheduled future; the window and the episode
            # come from the index itself (PostgreSQL: an index-only scan, no wide rows read),
            # and links locked by wrong dates of birth.
            models.Index(
                fields=["due_on"],
                include=["opens_on", "closes_on", "episode", "id"],
                name="invitation_overdue",
                condition=Q(
                    status__in=["scheduled", "sent", "opened", "partial"], locked_at__isnull=True
                ),
            ),
            models.Index(
                fields=["locked_at"],
                name="invitation_locked",
                condition=Q(locked_at__isnull=False),
            ),
            # Response rates (outcomes/summaries.py): read from the index alone on PostgreSQL,
            # without visiting the wide invitation rows (drafts, instruments).
            models.Index(
                fields=["timepoint", "episode"],
                include=["id", "status", "closes_on", "due_on"],
                name="invitation_response_rate",
            ),
        ]

    def __str__(self) -> str:
        return f"Invitation {self.pk} ({self.timepoint})"


class Response(models.Model):
    """A submitted questionnaire: one per invitation, so a double submit cannot store two."""

    class Mode(models.TextChoices):
        SELF_PHONE = "self", _("Self, online")
        STAFF_ASSISTED = "staff", _("Staff-assisted (telephone)")
        PAPER = "paper", _("Paper")

    invitation = models.OneToOneField(Invitation, on_delete=models.PROTECT, related_name="response")
    mode = models.CharField(max_length=8, choices=Mode.choices)
    answers = models.JSONField(help_text=_("{instrument code: {item id: code}}"))
    submitted_at = models.DateTimeField()
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [
            # The dashboard's "latest response" on every figure: MAX(submitted_at) is one
            # index probe instead of a scan of every response.
            models.Index(fields=["submitted_at"], name="response_submitted_at")
        ]

    def __str__(self) -> str:
        return f"Response {self.pk}"


class InstrumentResult(models.Model):
    """One instrument's scores within a response, scored once on submission (never re-scored)."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="results")
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="results")
    scores = models.JSONField()
    outcomes = models.JSONField(help_text=_("Harmonised 0-100 score per outcome"))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["response", "instrument"], name="result_once_per_instrument"
            )
        ]

    def __str__(self) -> str:
        return f"{self.instrument} result {self.pk}"


class FloatArrayField(models.Field):
    """A list of numbers (None allowed): ``double precision[]`` on PostgreSQL, where the
    summary query indexes it directly, and a JSON array on SQLite (local use and tests)."""

    description = "List of floats"

    def db_type(self, connection) -> str:
        return "double precision[]" if connection.vendor == "postgresql" else "text"

    def from_db_value(self, value, expression, connection):
        if value is None or isinstance(value, list):
            return value
        return json.loads(value)

    def get_db_prep_value(self, value, connection, prepared=False):
        if value is None or connection.vendor == "postgresql":
            return value
        return json.dumps(value)


class PairedResult(models.Model):
    """One instrument's baseline and follow-up results of one episode, side by side.

    The read model the outcome figures aggregate (outcomes/summaries.py): one narrow row per
    pair, with the episode's provider, practice, age band, sex and deprivation quintile copied
    in, so a summary scans one index range of one table instead of joining invitations,
    responses and results twice (docs/benchmarks.md). Rows are derived, never edited:
    ``surveys.pairs`` writes them when a follow-up or baseline is stored and can rebuild them
    all from the responses at any time.
    """

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="+")
    baseline_result = models.ForeignKey(
        InstrumentResult, on_delete=models.CASCADE, related_name="+"
    )
    follow_up_result = models.ForeignKey(
        InstrumentResult, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    pathway = models.ForeignKey(Pathway, on_delete=models.CASCADE, related_name="+", db_index=False)
    instrument = models.ForeignKey(
        Instrument, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    baseline_timepoint = models.CharField(max_length=50)
    timepoint = models.CharField(max_length=50)
    provider = models.ForeignKey(
        Provider, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    practice = models.ForeignKey(
        Practice, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    age_band = models.CharField(max_length=5, help_text=_("Age at referral"))
    sex = models.CharField(max_length=10)
    imd_quintile = models.PositiveSmallIntegerField(null=True)
    followed_up_at = models.DateTimeField(help_text=_("When the follow-up was submitted"))
    # Every numeric score and harmonised outcome of the instrument, in the order of
    # surveys.pairs.measure_slots for the follow-up's instrument version: arrays of
    # doubles read far faster than JSON objects (docs/benchmarks.md).
    baseline_values = FloatArrayField()
    follow_up_values = FloatArrayField()
    # Laid out in the order of the summary index (by the nightly job or a bulk load's
    # CLUSTER); a pair stored with a response is not, until the next night
    # (surveys.pairs.paired_results_order).
    in_order = models.BooleanField(db_default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["follow_up_result", "baseline_result"], name="paired_result_once"
            )
        ]
        indexes = [
            # The summary query: one instrument, one timepoint pair, a condition's pathways,
            # optionally a range of follow-up dates.
            models.Index(
                fields=[
                    "instrument",
                    "timepoint",
                    "baseline_timepoint",
                    "pathway",
                    "followed_up_at",
                ],
                name="paired_result_lookup",
            ),
            # The night's pairs to put in order: a few thousand among millions.
            models.Index(
                fields=["id"], condition=models.Q(in_order=False), name="paired_result_unordered"
            ),
        ]

    def __str__(self) -> str:
        return f"Paired result {self.pk}"


class EpisodeCohort(models.Model):
    """One episode with the attributes the figures count it by: a read model.

    The equity, practice and dashboard figures count episodes by condition, provider, practice,
    age band, sex and deprivation, and time events from the referral; this narrow row holds
    all of that, copied in as the paired results copy it (the patient's current practice, area
    and sex; age at referral), so a figure reads one index range instead of joining episodes,
    patients, areas, events and responses (docs/benchmarks.md). Rows are derived, never edited:
    ``surveys.cohorts`` writes them with every change and can rebuild them all at any time.
    """

    episode = models.OneToOneField(
        Episode, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    # Copies of other rows' keys: no constraint or index of their own (the lookup index
    # covers them), and no trigger per row when a million rows are rebuilt.
    pathway = models.ForeignKey(
        Pathway, on_delete=models.DO_NOTHING, related_name="+", db_index=False, db_constraint=False
    )
    provider = models.ForeignKey(
        Provider, on_delete=models.DO_NOTHING, related_name="+", db_index=False, db_constraint=False
    )
    practice = models.ForeignKey(
        Practice,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    referred_on = models.DateField()
    status = models.CharField(max_length=12)
    age_at_referral = models.SmallIntegerField(help_text=_("Whole years"))
    age_band = models.CharField(max_length=5, help_text=_("Age at referral"))
    sex = models.CharField(max_length=10)
    imd_quintile = models.PositiveSmallIntegerField(null=True)
    first_assessment_on = models.DateField(null=True)
    first_procedure_on = models.DateField(null=True)
    discharged_on = models.DateField(null=True, help_text=_("The first discharge event's date"))
    baseline_answered_at = models.DateTimeField(
        null=True, help_text=_("When the baseline questionnaire was submitted")
    )
    # The common questionnaire's baseline result (surveys.cohorts.BASELINE_INSTRUMENT): its
    # version and measures in the slots of surveys.pairs.measure_slots, as the pairs hold them,
    # for baseline severity by deprivation without joining responses and results.
    baseline_instrument = models.ForeignKey(
        Instrument,
        null=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    baseline_values = FloatArrayField(null=True)
    baseline_closes_on = models.DateField(
        null=True,
        help_text=_("When the first baseline invitation not cancelled closes (its window)"),
    )

    class Meta:
        indexes = [
            # Waits, intervals, procedure rates and data completeness (the dashboard): a
            # condition's pathways, a range of referral dates, from the index alone.
            models.Index(
                fields=["pathway", "referred_on"],
                include=[
                    "episode",
                    "provider",
                    "practice",
                    "age_band",
                    "sex",
                    "imd_quintile",
                    "first_assessment_on",
                    "first_procedure_on",
                    "discharged_on",
                    "baseline_answered_at",
                    "baseline_closes_on",
                ],
                name="episode_cohort_events",
            ),
            # Enrolment counts and ages: a condition's pathways, a range of referral dates,
            # read from the index alone on PostgreSQL.
            models.Index(
                fields=["pathway", "referred_on"],
                include=[
                    "provider",
                    "practice",
                    "age_at_referral",
                    "age_band",
                    "sex",
                    "imd_quintile",
                ],
                name="episode_cohort_lookup",
            ),
        ]

    def __str__(self) -> str:
        return f"Episode cohort {self.pk}"


class InvitationCohort(models.Model):
    """One invitation with its episode's attributes and its channel: a read model.

    Response rates, loss to follow-up and activity count invitations by timepoint, due date,
    status and the episode's attributes (those of its ``EpisodeCohort`` row, selected from it)
    and by the channel its first message went by. ``surveys.cohorts`` writes the rows.
    """

    invitation = models.OneToOneField(
        Invitation, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    episode = models.ForeignKey(
        Episode, on_delete=models.DO_NOTHING, related_name="+", db_index=False, db_constraint=False
    )
    pathway = models.ForeignKey(
        Pathway, on_delete=models.DO_NOTHING, related_name="+", db_index=False, db_constraint=False
    )
    provider = models.ForeignKey(
        Provider, on_delete=models.DO_NOTHING, related_name="+", db_index=False, db_constraint=False
    )
    practice = models.ForeignKey(
        Practice,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    timepoint = models.CharField(max_length=50)
    due_on = models.DateField()
    closes_on = models.DateField()
    status = models.CharField(max_length=12)
    completed_at = models.DateTimeField(null=True)
    channel = models.CharField(
        max_length=10, help_text=_("Of the first invite message sent; 'none' if none was")
    )
    age_band = models.CharField(max_length=5, help_text=_("Age at referral"))
    sex = models.CharField(max_length=10)
    imd_quintile = models.PositiveSmallIntegerField(null=True)
    baseline_answered_at = models.DateTimeField(
        null=True, help_text=_("When the episode's baseline questionnaire was submitted")
    )

    class Meta:
        indexes = [
            # Response rates and loss to follow-up: a condition's pathways, one or two
            # timepoints, a range of due dates, grouped by the included columns.
            models.Index(
                fields=["pathway", "timepoint", "due_on"],
                include=[
                    "provider",
                    "practice",
                    "status",
                    "closes_on",
                    "completed_at",
                    "channel",
                    "age_band",
                    "sex",
                    "imd_quintile",
                    "baseline_answered_at",
                ],
                name="invitation_cohort_lookup",
            ),
            # A refresh reads the rows of its episodes (the tally's differences).
            models.Index(fields=["episode"], name="invitation_cohort_episode"),
            # Invitations not answered whose window closed this month (activity, with the
            # tally's closing months).
            models.Index(
                fields=["closes_on"],
                include=["pathway", "provider", "practice", "due_on"],
                condition=Q(status__in=["scheduled", "sent", "opened", "partial", "expired"]),
                name="invitation_cohort_unanswered",
            ),
        ]

    def __str__(self) -> str:
        return f"Invitation cohort {self.pk}"


class InvitationTally(models.Model):
    """How many invitations share a pathway, provider, practice, status and due, closing and
    completion months: the invitation cohort counted ahead, for activity figures over every
    condition and all time (2.5 million invitations at a million responses; about 135,000 of
    these rows). ``surveys.cohorts`` appends a row of differences (n may be negative) for
    every change and compacts them on a rebuild, so no two writers ever update one row.
    """

    pathway = models.ForeignKey(
        Pathway, on_delete=models.DO_NOTHING, related_name="+", db_index=False, db_constraint=False
    )
    provider = models.ForeignKey(
        Provider, on_delete=models.DO_NOTHING, related_name="+", db_index=False, db_constraint=False
    )
    practice = models.ForeignKey(
        Practice,
        null=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    status = models.CharField(max_length=12)
    due_month = models.DateField(help_text=_("First day of the due date's month"))
    closes_month = models.DateField(help_text=_("First day of the closing date's month"))
    completed_month = models.DateField(
        null=True, help_text=_("First day of the local month it was completed in")
    )
    n = models.IntegerField()

    def __str__(self) -> str:
        return f"Invitation tally {self.pk}"


class RefreshedEpisode(models.Model):
    """An episode whose read-model rows (pairs, cohort rows) a live write refreshed since the
    last nightly rebuild began to read them: the rebuild works its fresh rows out before it
    writes them, so a response stored meanwhile would be overwritten by rows that do not know
    it. The rebuild refreshes these episodes once more before it commits, and forgets the
    rows it saw (surveys/rebuild.py). An episode id only, no constraint: a deleted episode
    just refreshes to nothing."""

    episode_id = models.BigIntegerField()

    def __str__(self) -> str:
        return f"Refreshed episode {self.episode_id}"
