"""Message wording per language: the patient's language where reviewed wording exists, English
otherwise. The other language here lives in a test-only template folder: no translation of
clinical wording is committed without a translator's review."""

import pytest

from notifications.models import Notification
from notifications.sending import message_build, notification_send
from notifications.services import dispatch_due
from proms.settings import notify_language_templates
from tests.notifications.fake_notify import API_KEY, FakeNotify

pytestmark = pytest.mark.django_db

ENGLISH_SMS = "f33517ff-2a88-4f6e-b855-c550268ce08a"
WELSH_SMS = "0b7c0c8e-5d0a-4d8e-9a3e-3b0a6f5c2a11"


@pytest.fixture
def other_language(settings, tmp_path):
    """Wording for "cy" (invite only), marked as test text, in a template folder of its own."""
    folder = tmp_path / "notifications" / "messages" / "cy"
    folder.mkdir(parents=True)
    (folder / "invite.txt").write_text(
        "Subject: TEST-ONLY cy subject\n{% autoescape off %}TEST-ONLY cy {{ first_name }} "
        "{{ link }}{% endautoescape %}"
    )
    engines = [dict(engine) for engine in settings.TEMPLATES]
    engines[0]["DIRS"] = [tmp_path, *engines[0]["DIRS"]]
    settings.TEMPLATES = engines


def invite_for(enrol, **patient) -> Notification:
    enrol(**patient)
    dispatch_due(enqueue=False)
    return Notification.objects.get()


def test_a_patient_gets_the_wording_of_their_language_where_it_exists(
    daytime, enrol, other_language, capsys
):
    notification = invite_for(enrol, preferred_language="cy")

    notification_send(notification_id=notification.pk)

    assert notification.language == "cy"
    assert "TEST-ONLY cy Alex" in capsys.readouterr().out


def test_a_regional_language_tag_uses_the_wording_of_its_language(daytime, enrol, other_language):
    notification = invite_for(enrol, preferred_language="cy-GB")

    assert notification.language == "cy"


def test_a_language_without_wording_gets_the_english_wording(daytime, enrol, other_language):
    notification = invite_for(enrol, preferred_language="pl")

    assert notification.language == "en"
    assert message_build(notification).body.startswith("Hello Alex")


def test_a_language_with_some_wording_gets_english_for_the_rest(daytime, enrol, other_language):
    enrol(preferred_language="cy", email="", address_line_1="1 Test Street", mobile="")
    dispatch_due(enqueue=False)  # a letter: this language has no letter wording

    assert Notification.objects.get().language == "en"


def test_a_wording_language_recorded_without_its_files_falls_back_to_english(daytime, enrol):
    notification = invite_for(enrol)
    notification.language = "cy"  # e.g. a folder removed after the message was queued

    assert message_build(notification).body.startswith("Hello Alex")


@pytest.fixture
def notify(channels):
    with FakeNotify() as fake:
        channels.NOTIFY_API_KEY = API_KEY
        channels.NOTIFY_BASE_URL = fake.url
        channels.NOTIFICATIONS_SMS_BACKEND = "notify"
        channels.NOTIFY_TEMPLATES = {"sms:invite": ENGLISH_SMS, "sms:invite:cy": WELSH_SMS}
        yield fake


def test_notify_sends_the_template_of_the_patients_language(daytime, enrol, notify):
    notification = invite_for(enrol, preferred_language="cy")

    notification_send(notification_id=notification.pk)

    assert notify.sent[0]["template_id"] == WELSH_SMS
    assert notification.language == "cy"


def test_notify_falls_back_to_the_english_template_for_a_language_without_one(
    daytime, enrol, notify
):
    notification = invite_for(enrol, preferred_language="pa")

    notification_send(notification_id=notification.pk)

    assert notify.sent[0]["template_id"] == ENGLISH_SMS
    assert notification.language == "en"


def test_language_template_ids_are_read_from_the_environment():
    found = notify_language_templates(
        {
            "NOTIFY_TEMPLATE_SMS_INVITE_CY": "welsh-invite",
            "NOTIFY_TEMPLATE_EMAIL_REMINDER_PT_BR": "portuguese-reminder",
            "NOTIFY_TEMPLATE_SMS_INVITE": "english-invite",
            "NOTIFY_TEMPLATE_SMS_RESEND_PL": "",
        }
    )

    assert found == {"sms:invite:cy": "welsh-invite", "email:reminder:pt-br": "portuguese-reminder"}
