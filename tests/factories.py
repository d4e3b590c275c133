"""One factory per model. Synthetic people only: names and NHS numbers are made up."""

from __future__ import annotations

import datetime as dt

import factory
from django.contrib.auth import get_user_model

from outcomes.loading import catalogue
from outcomes.models import Pathway
from surveys.models import Area, Episode, Patient, PostcodeArea, Practice, Provider


def nhs_number_for(serial: int) -> str:
    """A valid (modulus 11) synthetic NHS number in the 999 range used for testing."""
    base = f"999{serial:06d}"
    while True:
        total = sum(int(d) * w for d, w in zip(base, range(10, 1, -1), strict=True))
        check = (11 - total % 11) % 11
        if check != 10:
            return base + str(check)
        serial += 1
        base = f"999{serial:06d}"


def pathway_current(code: str) -> Pathway:
    """The version of a pathway that new enrolments use (older versions stay loaded)."""
    return Pathway.objects.get(code=code, version=catalogue().pathway(code).version)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    password = factory.PostGenerationMethodCall("set_password", "a-long-test-password")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider
        django_get_or_create = ["ods_code"]

    ods_code = factory.Sequence(lambda n: f"TST{n:02d}")
    name = factory.Sequence(lambda n: f"Test MSK Service {n}")
    kind = Provider.Kind.MSK_HUB
    contact_phone = "01623 000000"


class PracticeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Practice
        django_get_or_create = ["ods_code"]

    ods_code = factory.Sequence(lambda n: f"C9{n:04d}")
    name = factory.Sequence(lambda n: f"Test Practice {n}")


class AreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Area
        django_get_or_create = ["lsoa_code"]

    lsoa_code = factory.Sequence(lambda n: f"E0199{n:04d}")
    imd_decile = 5


class PostcodeAreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PostcodeArea

    postcode = "NG18 1AA"
    area = factory.SubFactory(AreaFactory)


def _letters(n: int) -> str:
    """0 → "a", 25 → "z", 26 → "ba": a distinct name part of letters for each number."""
    word = ""
    while True:
        n, digit = divmod(n, 26)
        word = "abcdefghijklmnopqrstuvwxyz"[digit] + word
        if n == 0:
            return word.capitalize()


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    # Even serials only: when 2n has check digit 10, nhs_number_for moves on to 2n + 1, which
    # no other n uses (2n and 2n + 1 cannot both be invalid), so numbers never repeat.
    nhs_number = factory.Sequence(lambda n: nhs_number_for(2 * n))
    given_name = "Alex"
    # Letters only, as the one rule for names asks (surveys.validators.name_normalise).
    family_name = factory.Sequence(lambda n: "Tester-" + _letters(n))
    date_of_birth = dt.date(1948, 3, 14)
    sex = Patient.Sex.FEMALE
    postcode = "NG18 1AA"
    mobile = "+447700900123"
    email = "alex.tester@example.com"
    preferred_channel = Patient.Channel.SMS
    contact_consent = True


class EpisodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Episode

    patient = factory.SubFactory(PatientFactory)
    pathway = factory.LazyFunction(lambda: pathway_current("knee-pain"))
    provider = factory.SubFactory(ProviderFactory)
    referred_on = factory.LazyFunction(dt.date.today)
