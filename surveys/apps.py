from django.apps import AppConfig


class SurveysConfig(AppConfig):
    """Patients, episodes on pathways, invitations and responses (the patient journey)."""

    name = "surveys"
    verbose_name = "Patient journey"
