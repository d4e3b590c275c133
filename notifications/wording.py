"""Which wording a message uses: the patient's language where reviewed wording exists, else
English.

Wording lives in the repository (``templates/notifications/messages/<language>/<kind>.txt``, any
template folder) and, with GOV.UK Notify, in Notify templates named per language in settings
(``NOTIFY_TEMPLATE_SMS_INVITE_CY``). Nothing is machine-translated: a language gets messages once
templates reviewed by a translator exist for it.
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template import TemplateDoesNotExist
from django.template.loader import get_template

from notifications.channels import backend_name
from notifications.models import Notification
from surveys.models import Patient


def _languages_wanted(patient: Patient) -> list[str]:
    """The patient's language, then its primary subtag (``cy-GB`` -> ``cy``), then English."""
    wanted = (patient.preferred_language or "en").lower().replace("_", "-")
    return list(dict.fromkeys((wanted, wanted.split("-")[0], "en")))


@lru_cache(maxsize=256)
def wording_available(language: str, kind: str) -> bool:
    """Whether the repository has ``kind``'s wording in ``language`` (any template folder)."""
    try:
        get_template(f"notifications/messages/{language}/{kind}.txt")
    except TemplateDoesNotExist:
        return False
    return True


@receiver(setting_changed)
def _templates_changed(*, setting, **kwargs) -> None:
    if setting == "TEMPLATES":
        wording_available.cache_clear()


def notify_template_id(channel: str, kind: str, language: str) -> str:
    """The Notify template for ``language`` (``NOTIFY_TEMPLATE_SMS_INVITE_CY``), else English's."""
    templates = settings.NOTIFY_TEMPLATES
    return templates.get(f"{channel}:{kind}:{language}") or templates.get(f"{channel}:{kind}", "")


def message_wording(channel: str, kind: str, patient: Patient) -> tuple[str, str]:
    """(language, template) of the message: the patient's language where we have wording in it
    (a Notify template for the channel, or a repository file), else English. Wording is never
    machine-translated: a language gets messages once reviewed templates for it exist."""
    wanted = _languages_wanted(patient)
    if channel == Notification.Channel.LETTER:
        language = next(
            lang for lang in wanted if lang == "en" or wording_available(lang, "letter")
        )
        return language, f"notifications/messages/{language}/letter.txt"
    if backend_name(channel) == "notify":
        for language in wanted:
            if settings.NOTIFY_TEMPLATES.get(f"{channel}:{kind}:{language}"):
                return language, settings.NOTIFY_TEMPLATES[f"{channel}:{kind}:{language}"]
        return "en", notify_template_id(channel, kind, "en")
    language = next(lang for lang in wanted if lang == "en" or wording_available(lang, kind))
    return language, f"notifications/messages/{language}/{kind}.txt"


def wording_files(language: str, kind: str) -> list[str]:
    """The repository wording of ``kind`` in ``language``, English where there is none."""
    return [f"notifications/messages/{lang}/{kind}.txt" for lang in dict.fromkeys((language, "en"))]
