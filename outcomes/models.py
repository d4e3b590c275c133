"""Database copies of the reviewed definitions, licensed wording overlays and the audit trail.

The definition files are the source of truth; these rows exist so that episodes, invitations and
responses can point at the exact instrument and pathway version they used.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DefinitionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class Outcome(models.Model):
    class Group(models.TextChoices):
        LIVING_WITH_MSK = "living-with-msk", _("Living with MSK conditions")
        CARE_AND_SUPPORT = "care-and-support", _("Care and support")
        POPULATION = "population", _("Population")
        SOCIAL = "social", _("Social")

    code = models.SlugField(max_length=50, unique=True)
    group = models.CharField(max_length=20, choices=Group.choices)
    title = models.CharField(max_length=200)
    wording = models.TextField(help_text=_("The programme's own words for this outcome."))
    higher_is_better = models.BooleanField(default=True)
    patient_reported = models.BooleanField(default=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order"]

    def __str__(self) -> str:
        return self.title


class Condition(models.Model):
    code = models.SlugField(max_length=50, unique=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    active = models.BooleanField(default=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order"]

    def __str__(self) -> str:
        return self.title


class Instrument(models.Model):
    """One version of a questionnaire, as loaded from ``instruments/<code>/<version>.json``."""

    code = models.SlugField(max_length=50)
    version = models.CharField(max_length=20)
    status = models.CharField(max_length=10, choices=DefinitionStatus.choices)
    title = models.CharField(max_length=200)
    short_title = models.CharField(max_length=50)
    licence_holder = models.CharField(max_length=200)
    licence_notice = models.TextField()
    wording_licensed = models.BooleanField()
    definition = models.JSONField(help_text=_("The definition file as loaded."))
    checksum = models.CharField(max_length=64, help_text=_("SHA-256 of the definition file."))
    loaded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code", "version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="instrument_code_version")
        ]

    def __str__(self) -> str:
        return f"{self.short_title} {self.version}"

    def is_in_use(self) -> bool:
        """Whether anything but its wording overlay refers to this version (e.g. responses)."""
        for relation in self._meta.related_objects:
            if relation.related_model is InstrumentWording:
                continue
            if relation.related_model.objects.filter(**{relation.field.name: self}).exists():
                return True
        return False


class InstrumentWording(models.Model):
    """Licensed wording for one instrument version and language, imported from the licensee's file.

    Never committed to the repository: the licence holders (EuroQol, Oxford University
    Innovation, Mapi, ...) do not allow their wording to be published openly.
    """

    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="wordings")
    language = models.CharField(max_length=10, default="en")
    texts = models.JSONField(
        help_text=_("Title, instructions, item text and option text keyed by item id and code.")
    )
    source_checksum = models.CharField(max_length=64)
    imported_at = models.DateTimeField(auto_now=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["instrument", "language"], name="instrument_wording_language"
            )
        ]

    def __str__(self) -> str:
        return f"{self.instrument} ({self.language})"


class Pathway(models.Model):
    """One version of a condition pathway, as loaded from ``pathways/<code>/<version>.json``."""

    code = models.SlugField(max_length=50)
    version = models.CharField(max_length=20)
    status = models.CharField(max_length=10, choices=DefinitionStatus.choices)
    condition = models.ForeignKey(Condition, on_delete=models.PROTECT, related_name="pathways")
    title = models.CharField(max_length=200)
    definition = models.JSONField()
    checksum = models.CharField(max_length=64)
    loaded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code", "version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="pathway_code_version")
        ]

    def __str__(self) -> str:
        return f"{self.title} {self.version}"

    def is_in_use(self) -> bool:
        return any(
            relation.related_model.objects.filter(**{relation.field.name: self}).exists()
            for relation in self._meta.related_objects
        )


class AuditEvent(models.Model):
    """Who did what to which record, and when. Details carry ids, never patient identifiers."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    action = models.CharField(max_length=100)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=100)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type} {self.object_id}"


class ApiClientQuerySet(models.QuerySet):
    def active(self) -> ApiClientQuerySet:
        return self.filter(revoked_at__isnull=True)


class ApiClient(models.Model):
    """An API key: who holds it and which providers' pseudonymised patient-level rows it may read.

    Only the SHA-256 of the key is stored. A key is 32 random bytes (``secrets.token_urlsafe``),
    so a fast unsalted hash is safe here: brute force over 256 bits is hopeless, and a slow hash
    (PBKDF2) would only add latency to every request. The same reasoning as Django's own
    password-reset tokens and GitHub's token storage. ``prefix`` (first characters of the key)
    lets a holder and an administrator tell keys apart without the key itself.
    """

    name = models.CharField(max_length=200, help_text=_("Who holds the key, e.g. 'ICB analysts'."))
    prefix = models.CharField(max_length=16, db_index=True, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    providers = models.ManyToManyField(
        "surveys.Provider",
        blank=True,
        related_name="api_clients",
        help_text=_("Providers whose pseudonymised patient-level rows this key may export."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    objects = ApiClientQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API client")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    # DRF treats ``request.user`` as the authenticated principal; a key stands in for a user.
    is_authenticated = True
    is_staff = False
    is_superuser = False
    is_anonymous = False
