from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """Follow-up messages along the pathway: the outbox and its channels."""

    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        # A closing event (discharge, withdrawal, death) cancels waiting messages in the same
        # transaction as surveys.services.event_record, which cancels the invitations. A signal
        # keeps imports flowing notifications -> surveys.
        from django.db.models.signals import post_save

        from surveys.models import Episode, EpisodeEvent, Patient

        post_save.connect(
            _closing_event_recorded, sender=EpisodeEvent, dispatch_uid="notifications.closing"
        )
        # An enrolment or an event schedules invitations (some due at once): tick soon after
        # the commit instead of waiting for beat.
        post_save.connect(_scheduled, sender=Episode, dispatch_uid="notifications.enrolled")
        post_save.connect(_scheduled, sender=EpisodeEvent, dispatch_uid="notifications.event")
        # Consent or contact details added later: a parked questionnaire can still go out.
        post_save.connect(_patient_saved, sender=Patient, dispatch_uid="notifications.patient")


def _patient_saved(sender, instance, created, update_fields=None, **kwargs) -> None:
    from notifications.services import CONTACT_FIELDS, patient_contact_changed

    if created or (update_fields is not None and not CONTACT_FIELDS & set(update_fields)):
        return
    patient_contact_changed(patient=instance)


def _scheduled(sender, instance, created, **kwargs) -> None:
    from django.db import transaction

    from notifications.services import dispatch_soon
    from surveys.models import EpisodeEvent

    if created and getattr(instance, "kind", None) not in EpisodeEvent.CLOSING:
        transaction.on_commit(dispatch_soon)


def _closing_event_recorded(sender, instance, created, **kwargs) -> None:
    from notifications.services import episode_notifications_cancel, patient_notifications_cancel
    from surveys.models import EpisodeEvent

    if created and instance.kind == EpisodeEvent.Kind.DEATH:  # every episode of the patient
        patient_notifications_cancel(patient_id=instance.episode.patient_id)
    elif created and instance.kind in EpisodeEvent.CLOSING:
        episode_notifications_cancel(episode=instance.episode)
