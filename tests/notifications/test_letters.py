"""Letters: one page each with the address and a short code to type, batches printed again."""

import pytest
from django.urls import reverse

from notifications import letter_codes, letters
from notifications.models import LetterBatch, Notification
from notifications.sealing import unseal
from notifications.services import dispatch_due, patient_opt_out
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SHORT_LINK = "https://proms.test/l/"


def letter_patients(enrol, count=2) -> list:
    episodes = [
        enrol(mobile="", email="", address_line_1=f"{n + 1} Test Street", town="Mansfield")
        for n in range(count)
    ]
    dispatch_due(enqueue=False)
    return episodes


def page_texts(document) -> list[str]:
    """The words on each laid-out page (no PDF text extractor is installed: WeasyPrint's own
    page boxes are what it writes to the PDF)."""
    from weasyprint.formatting_structure import boxes

    return [
        " ".join(box.text for box in page._page_box.descendants() if isinstance(box, boxes.TextBox))
        for page in document.pages
    ]


def printed_with_contents(staff, monkeypatch) -> tuple[bytes, int, list[dict]]:
    rendered = []
    real = letters.letters_pdf

    def keep(contents):
        rendered.extend(contents)
        return real(contents)

    monkeypatch.setattr(letters, "letters_pdf", keep)
    pdf, pages = letters.letters_print(by=staff)
    return pdf, pages, rendered


def code_on(text: str) -> str:
    return text.split(SHORT_LINK, 1)[1][:9]


def test_each_letter_is_one_page_with_its_address_block_and_short_link(
    daytime, enrol, staff, monkeypatch
):
    letter_patients(enrol)

    pdf, pages, contents = printed_with_contents(staff, monkeypatch)

    texts = page_texts(letters.letters_document(contents))
    assert pdf.startswith(b"%PDF") and pages == len(texts) == 2
    for number, text in enumerate(texts, start=1):
        assert f"{number} Test Street" in text and "Mansfield" in text and "NG18 1AA" in text
        assert SHORT_LINK in text
        assert letter_codes.code_normalise(code_on(text)) is not None
    assert code_on(texts[0]) != code_on(texts[1])


def test_only_a_keyed_hash_and_a_sealed_copy_of_the_code_are_stored(
    daytime, enrol, staff, monkeypatch
):
    letter_patients(enrol, count=1)

    _pdf, _pages, [content] = printed_with_contents(staff, monkeypatch)

    letter = Notification.objects.get()
    assert content["code"] not in letter.short_code + letter.short_code_hash
    assert letter.short_code_hash == letter_codes.code_hash(content["code"].replace("-", ""))
    assert unseal(letter.short_code) == content["code"]


def test_the_short_link_leads_to_the_date_of_birth_check(
    daytime, enrol, staff, client, monkeypatch
):
    letter_patients(enrol, count=1)
    _pdf, _pages, [content] = printed_with_contents(staff, monkeypatch)

    found = client.get(content["short_link"].removeprefix("https://proms.test"))

    token = unseal(Notification.objects.get().link_token)
    assert found.status_code == 302 and found["Location"] == reverse("patient:start", args=[token])
    assert "date of birth" in client.get(found["Location"]).content.decode()


def test_a_printed_code_still_leads_to_its_link_after_the_secret_key_is_rotated(
    daytime, enrol, staff, client, monkeypatch, settings
):
    letter_patients(enrol, count=1)
    _pdf, _pages, [content] = printed_with_contents(staff, monkeypatch)
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a-new-key-" + "x" * 50, [old_key]

    found = client.post(reverse("letter:code"), {"code": content["code"]})

    assert found.status_code == 302


def test_a_code_typed_in_small_letters_with_a_space_and_an_o_for_zero_is_found(
    daytime, enrol, staff, client, monkeypatch
):
    letter_patients(enrol, count=1)
    _pdf, _pages, [content] = printed_with_contents(staff, monkeypatch)
    typed = content["code"].replace("-", " ").lower().replace("0", "o")

    found = client.post(reverse("letter:code"), {"code": typed})

    assert found.status_code == 302


def test_the_code_page_asks_for_the_code(client):
    page = client.get(reverse("letter:code"))

    assert page.status_code == 200
    assert "Enter the code from your letter" in page.content.decode()
    assert page["Cache-Control"] == "no-store"


def test_an_unknown_code_is_refused_politely(client, db):
    page = client.post(reverse("letter:code"), {"code": "ABCD-1234"})

    assert page.status_code == 404
    assert "We could not find that code" in page.content.decode()


def test_after_ten_wrong_codes_a_client_is_asked_to_wait_even_with_a_right_one(
    daytime, enrol, staff, client, monkeypatch
):
    letter_patients(enrol, count=1)
    _pdf, _pages, [content] = printed_with_contents(staff, monkeypatch)
    for _ in range(letter_codes.TRIES):
        client.post(reverse("letter:code"), {"code": "ZZZZ-ZZZZ"})

    page = client.post(reverse("letter:code"), {"code": content["code"]})

    assert page.status_code == 429
    assert "try again in an hour" in page.content.decode()


def test_codes_use_eight_characters_no_one_misreads():
    shown, _hash = letter_codes.code_new()
    code = shown.replace("-", "")

    assert len(code) == 8 and set(code) <= set(letter_codes.ALPHABET)
    assert not set("ILOU") & set(letter_codes.ALPHABET)
    assert len(letter_codes.ALPHABET) ** 8 >= 2**40
    assert letter_codes.code_normalise(shown.lower()) == code
    assert letter_codes.code_normalise("ABCD-123") is None


def test_a_printed_batch_downloads_again_with_the_same_codes(
    daytime, enrol, staff, client, monkeypatch
):
    letter_patients(enrol)
    _pdf, _pages, first = printed_with_contents(staff, monkeypatch)
    batch = LetterBatch.objects.get()
    client.force_login(staff)

    page = client.get(reverse("notifications:letters"))
    again = client.get(reverse("notifications:letter_batch", args=[batch.pk]))

    assert reverse("notifications:letter_batch", args=[batch.pk]) in page.content.decode()
    assert again["Content-Type"] == "application/pdf" and again.content.startswith(b"%PDF")
    assert len(first) == 4  # both letters, captured at printing and again at the download
    assert [c["code"] for c in first[:2]] == [c["code"] for c in first[2:]]
    assert batch.letters == 2 and set(batch.notifications.values_list("status", flat=True)) == {
        "sent"
    }


def test_a_batch_downloaded_again_leaves_out_a_patient_who_opted_out_since(
    daytime, enrol, staff, monkeypatch
):
    first, _second = letter_patients(enrol)
    printed_with_contents(staff, monkeypatch)
    patient_opt_out(patient=first.patient, by=staff)

    _pdf, pages = letters.letters_reprint(batch=LetterBatch.objects.get(), by=staff)

    assert pages == 1


def test_staff_of_another_provider_cannot_download_a_batch(
    daytime, enrol, staff, client, monkeypatch
):
    letter_patients(enrol)
    printed_with_contents(staff, monkeypatch)
    client.force_login(UserFactory(username="elsewhere"))

    again = client.get(reverse("notifications:letter_batch", args=[LetterBatch.objects.get().pk]))

    assert again.status_code == 404


def test_the_staff_menu_links_to_the_letters_page(daytime, enrol, staff, client):
    enrol()
    client.force_login(staff)

    home = client.get(reverse("staff:home"))

    assert f'href="{reverse("notifications:letters")}"' in home.content.decode()
