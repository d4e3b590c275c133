import csv
import datetime as dt
import io
import statistics
from collections import defaultdict

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from outcomes.loading import catalogue
from outcomes.scoring import score_answers
from surveys import reference, synthetic
from surveys.contact import day_start
from surveys.models import Episode, InstrumentResult, Invitation, Patient, Response
from surveys.validators import nhs_number_normalise, postcode_normalise

TODAY = dt.date(2026, 11, 23)


def file_context(seed: int) -> synthetic.PopulationContext:
    """A context from the shipped reference files, without a database."""
    with reference.IMD_FILE.open() as handle:
        areas = [
            synthetic.AreaRow(r["lsoa21_code"], r["lsoa21_name"], int(r["imd_decile"]))
            for r in csv.DictReader(handle)
        ]
    with reference.PRACTICES_FILE.open() as handle:
        practices = [
            synthetic.PracticeRow(
                r["practice_code"], r["postcode"], int(r["list_size"]) if r["list_size"] else None
            )
            for r in csv.DictReader(handle)
            if r["mid_notts"] == "True"
        ]
    return synthetic.PopulationContext(seed=seed, areas=areas, practices=practices)


def plan(seed: int, patients: int) -> list[synthetic.PatientPlan]:
    return list(synthetic.population_plan(file_context(seed), patients=patients, today=TODAY))


@pytest.fixture(scope="module")
def population():
    return plan(7, 3000)


def invitations(plans):
    return [i for p in plans for e in p.episodes for i in e.invitations]


# --- the plan: deterministic and realistic (no database) ------------------------------------


def test_the_same_seed_gives_the_same_population():
    assert plan(3, 60) == plan(3, 60)


def test_another_seed_gives_another_population():
    assert plan(3, 60) != plan(4, 60)


def test_a_smaller_population_is_the_start_of_a_larger_one():
    assert plan(3, 60)[:20] == plan(3, 20)


def test_patients_from_deprived_areas_are_referred_younger(population):
    """MSK Together's seed deck: deprived patients reach hospital about 20 years earlier."""
    deprived = [p.age_at_referral for p in population if p.imd_decile <= 3]
    affluent = [p.age_at_referral for p in population if p.imd_decile >= 8]

    assert statistics.mean(affluent) - statistics.mean(deprived) > 10


def test_response_rates_fall_with_deprivation(population):
    def rate(plans):
        done = [i.status for i in invitations(plans) if i.status in ("completed", "expired")]
        return done.count("completed") / len(done)

    deprived = rate([p for p in population if p.imd_decile <= 2])
    affluent = rate([p for p in population if p.imd_decile >= 9])

    assert affluent - deprived > 0.2


def test_providers_have_different_true_effects_on_improvement(population):
    change = defaultdict(list)
    for patient in population:
        episode = patient.episodes[0]
        answered = {i.timepoint: i.response for i in episode.invitations if i.response}
        if "baseline" in answered and "6-months" in answered:
            before = dict((c, s) for c, _, s in answered["baseline"].results)["mskt-core"]
            after = dict((c, s) for c, _, s in answered["6-months"].results)["mskt-core"]
            change[episode.provider].append(after["outcomes"]["pain"] - before["outcomes"]["pain"])
    means = {provider: statistics.mean(values) for provider, values in change.items()}

    assert len(means) == 5
    assert all(len(values) >= 50 for values in change.values())
    assert means["DEMOCOM"] - means["RHA"] > 3  # true effects +0.05 and -0.02 on the latent


def test_fibromyalgia_patients_are_mostly_women_and_knee_patients_older(population):
    fibro = [p for p in population if p.episodes[0].pathway == "fibromyalgia"]
    knee = [p.age_at_referral for p in population if p.episodes[0].pathway == "knee-pain"]
    back = [p.age_at_referral for p in population if p.episodes[0].pathway == "back-pain"]

    assert sum(p.sex == "female" for p in fibro) / len(fibro) > 0.75
    assert statistics.mean(knee) > statistics.mean(back) + 5


def test_every_stage_of_a_journey_is_present(population):
    statuses = {i.status for i in invitations(population)}
    episode_statuses = {e.status for p in population for e in p.episodes}

    assert statuses == {"scheduled", "sent", "completed", "expired", "cancelled"}
    assert {"active", "discharged", "withdrawn"} <= episode_statuses
    assert any(i.event_index is not None and i.response for i in invitations(population))


def test_a_closed_episode_has_nothing_outstanding(population):
    for patient in population:
        for episode in patient.episodes:
            if episode.closed_on:
                assert not [i for i in episode.invitations if i.status in Invitation.OUTSTANDING]
                assert all(
                    i.response.submitted_at.date() <= episode.closed_on
                    for i in episode.invitations
                    if i.response
                )


def test_responses_fall_inside_their_window_and_before_today(population):
    for invitation in invitations(population):
        if invitation.response:
            answered = invitation.response.submitted_at.date()
            assert invitation.opens_on <= answered <= min(invitation.closes_on, TODAY)


def test_people_and_contacts_are_clearly_synthetic(population):
    for patient in population[:500]:
        assert patient.nhs_number.startswith("999")
        assert nhs_number_normalise(patient.nhs_number) == patient.nhs_number
        assert patient.email.endswith("@example.com")
        assert patient.mobile.startswith("+447700900") and len(patient.mobile) == 13
        assert postcode_normalise(patient.postcode) == patient.postcode
        assert set(patient.postcode.split(" ")[1][1:]) <= set("CIKMOV")
    assert len({p.nhs_number for p in population}) == len(population)


def test_stored_answers_score_to_the_planned_scores(population, definitions):
    for invitation in invitations(population)[:2000]:
        if invitation.response:
            for code, version, scored in invitation.response.results:
                spec = definitions.instrument(code, version)
                assert score_answers(spec, invitation.response.parsed[code]) == scored


@pytest.mark.parametrize("code", ["mskt-core", "msk-hq", "oks", "eq-5d-5l", "odi", "fiqr", "peg"])
def test_answers_at_a_better_latent_score_better(code, definitions):
    """The generator assumes options are listed best first; the scoring must agree."""
    spec = definitions.instrument(code)
    context = file_context(1)
    _, _, well = context.answers(spec, True, 5, 5, 0)
    _, _, unwell = context.answers(spec, True, 45, 45, 0)

    assert statistics.mean(well["outcomes"].values()) > statistics.mean(unwell["outcomes"].values())


# --- writing to the database -----------------------------------------------------------------


@pytest.fixture
def reference_data(db):
    reference.areas_load()
    reference.practices_load(mid_notts_only=True)


def stored_population() -> list[tuple]:
    """Everything generated, without primary keys or creation times."""
    rows = []
    for invitation in Invitation.objects.select_related("episode__patient", "episode__provider"):
        episode, patient = invitation.episode, invitation.episode.patient
        response = Response.objects.filter(invitation=invitation).first()
        results = (
            sorted(
                (r.instrument.code, r.scores, r.outcomes)
                for r in response.results.select_related("instrument")
            )
            if response
            else None
        )
        rows.append(
            (
                patient.nhs_number,
                patient.date_of_birth,
                patient.postcode,
                patient.area_id and patient.area.lsoa_code,
                episode.provider.ods_code,
                episode.referred_on,
                episode.status,
                episode.last_contact_at,
                invitation.timepoint,
                invitation.status,
                invitation.completed_at,
                response and (response.mode, response.answers, response.submitted_at),
                results,
            )
        )
    return sorted(rows, key=repr)


def write(seed: int, patients: int, *, via_services: bool):
    context = synthetic.context_from_database(seed)
    plans = synthetic.population_plan(context, patients=patients, today=TODAY)
    return synthetic.population_write(
        plans, via_services=via_services, batch_size=7, context=context
    )


def test_stored_scores_equal_rescoring_the_stored_answers(reference_data):
    write(5, 40, via_services=False)
    definitions = catalogue()

    results = InstrumentResult.objects.select_related("response", "instrument")
    assert results.count() > 100
    for result in results:
        spec = definitions.instrument(result.instrument.code, result.instrument.version)
        rescored = score_answers(spec, result.response.answers[result.instrument.code])
        assert (rescored["scores"], rescored["outcomes"]) == (result.scores, result.outcomes)


def test_the_bulk_path_stores_exactly_what_response_submit_stores(reference_data):
    write(5, 30, via_services=True)
    through_services = stored_population()
    synthetic.population_delete()

    write(5, 30, via_services=False)

    assert stored_population() == through_services
    assert any(row[-1] for row in through_services)


@pytest.mark.parametrize("via_services", [False, True], ids=["bulk", "services"])
def test_a_loaded_episodes_last_contact_is_its_latest_referral_event_or_answer(
    reference_data, via_services
):
    write(5, 30, via_services=via_services)

    episodes = Episode.objects.prefetch_related("events", "invitations")
    for episode in episodes:
        days = [episode.referred_on, *(event.occurred_on for event in episode.events.all())]
        answers = [i.completed_at for i in episode.invitations.all() if i.completed_at]
        assert episode.last_contact_at == max([day_start(max(days)), *answers]), episode.pk
    assert any(episode.last_contact_at > day_start(episode.referred_on) for episode in episodes)


@pytest.mark.parametrize("model", list(synthetic.COPY_COLUMNS), ids=lambda m: m.__name__)
def test_the_bulk_path_writes_every_column_of_its_tables(model):
    assert sorted(synthetic.COPY_COLUMNS[model]) == sorted(
        field.attname for field in model._meta.concrete_fields
    )


def test_rows_written_in_bulk_leave_the_ids_to_the_database_afterwards(reference_data):
    write(5, 12, via_services=False)
    highest = Patient.objects.order_by("-pk").values_list("pk", flat=True).first()

    patient = Patient.objects.create(
        nhs_number="9990000018", date_of_birth=TODAY, given_name="A", family_name="B"
    )

    assert patient.pk > highest


def test_responses_are_dated_when_the_synthetic_patient_answered(reference_data):
    write(5, 30, via_services=True)

    for response in Response.objects.select_related("invitation"):
        assert response.submitted_at == response.invitation.completed_at
        assert response.submitted_at.date() <= TODAY
        assert response.invitation.status == Invitation.Status.COMPLETED


def test_generated_patients_get_their_lsoa_and_practice(reference_data):
    write(5, 30, via_services=False)

    assert not Patient.objects.filter(area__isnull=True).exists()
    assert Patient.objects.filter(practice__isnull=False).count() == 30
    assert Episode.objects.count() == 30


def generate(*args) -> str:
    out = io.StringIO()
    call_command("generate_population", *args, "--today", TODAY.isoformat(), stdout=out)
    return out.getvalue()


def test_generate_population_is_deterministic_for_a_seed(db):
    generate("--patients", "25", "--seed", "11")
    first = stored_population()

    output = generate("--patients", "25", "--seed", "11", "--reset")

    assert "Deleted 25 generated patients" in output
    assert stored_population() == first


def test_generate_population_refuses_to_add_a_second_population(db):
    generate("--patients", "5")

    with pytest.raises(CommandError, match="add --reset"):
        generate("--patients", "5")


def test_generate_population_stops_after_the_asked_number_of_responses(db):
    output = generate("--responses", "50", "--fast", "--batch-size", "10")

    assert 50 <= Response.objects.count() < 100
    assert "responses/s" in output


def test_a_load_leaves_one_tally_row_per_key_that_counts_its_invitations(reference_data):
    from surveys.cohorts import TALLY_COLUMNS
    from surveys.models import Invitation, InvitationTally

    write(5, 30, via_services=True)

    keys = list(InvitationTally.objects.values_list(*TALLY_COLUMNS))
    assert len(keys) == len(set(keys))
    assert sum(InvitationTally.objects.values_list("n", flat=True)) == Invitation.objects.count()


def test_a_load_on_postgresql_leaves_the_pairs_in_the_order_of_the_summary_index(
    reference_data,
):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("CLUSTER is PostgreSQL's; SQLite keeps the insert order")
    write(5, 40, via_services=False)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT instrument_id, timepoint, baseline_timepoint, pathway_id, followed_up_at"
            " FROM surveys_pairedresult ORDER BY ctid"
        )
        stored = cursor.fetchall()
    assert len(stored) > 10
    assert stored == sorted(stored)
