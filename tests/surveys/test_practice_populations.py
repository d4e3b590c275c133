"""Loading registered patients by sex and age band (NHS Digital quinary-age file)."""

import datetime as dt

import pytest
from django.core.management.base import CommandError

from surveys.models import PracticePopulation
from tests.factories import PracticeFactory
from tests.surveys.test_reference import run, write_csv

pytestmark = pytest.mark.django_db

# The columns of "Patients Registered at a GP Practice", gp-reg-pat-prac-quin-age.csv.
HEADER = [
    "PUBLICATION", "EXTRACT_DATE", "ORG_TYPE", "SUB_ICB_LOCATION_CODE", "ONS_SUB_ICB_CODE",
    "ORG_CODE", "POSTCODE", "SEX", "AGE_GROUP_5", "NUMBER_OF_PATIENTS",
]  # fmt: skip
GROUPS = [f"{low}_{low + 4}" for low in range(0, 95, 5)] + ["95+"]


def row(code, sex, age, count, org_type="GP"):
    return ["GP_PRAC_PAT_LIST", "01FEB2026", org_type, "52R", "E38000243", code, "NG18 1AA",
            sex, age, count]  # fmt: skip


def quinary_file(tmp_path, code="C84001", extra=()):
    rows = [row(code, "ALL", "ALL", 2 * 20 * 10)]
    for sex in ("MALE", "FEMALE"):
        rows.append(row(code, sex, "ALL", 200))
        rows += [row(code, sex, group, 10) for group in GROUPS]
    return write_csv(tmp_path / "gp-reg-pat-prac-quin-age.csv", HEADER, [*rows, *extra])


def test_quinary_groups_are_summed_into_the_comparison_bands(tmp_path):
    practice = PracticeFactory(ods_code="C84001")
    run("load_practice_populations", str(quinary_file(tmp_path)))
    bands = dict(
        PracticePopulation.objects.filter(practice=practice, sex="male").values_list(
            "age_band", "registered"
        )
    )
    # 0-49 is ten quinary groups, 80+ is 80_84 … 95+ (four groups).
    assert bands == {"0-49": 100, "50-59": 20, "60-69": 20, "70-79": 20, "80+": 40}
    assert PracticePopulation.objects.get(
        practice=practice, sex="female", age_band="0-49"
    ).extract_date == dt.date(2026, 2, 1)


def test_total_rows_other_organisations_and_unknown_practices_are_skipped(tmp_path):
    PracticeFactory(ods_code="C84001")
    extra = [row("Y99999", "MALE", "0_4", 5), row("52R", "MALE", "0_4", 5, org_type="SUB_ICB")]
    output = run("load_practice_populations", str(quinary_file(tmp_path, extra=extra)))
    assert "10 created" in output
    assert "3 skipped (a total (ALL) row)" in output
    assert "1 skipped (practice not loaded)" in output
    assert "1 skipped (not a GP practice row)" in output


def test_loading_the_same_file_twice_changes_nothing(tmp_path):
    PracticeFactory(ods_code="C84001")
    path = quinary_file(tmp_path)
    run("load_practice_populations", str(path))
    assert "0 created, 0 updated, 10 unchanged" in run("load_practice_populations", str(path))


def test_a_bad_count_loads_nothing_and_says_which_line(tmp_path):
    PracticeFactory(ods_code="C84001")
    path = quinary_file(tmp_path, extra=[row("C84001", "MALE", "0_4", "many")])
    with pytest.raises(CommandError, match="NUMBER_OF_PATIENTS 'many' is not a count"):
        run("load_practice_populations", str(path))
    assert not PracticePopulation.objects.exists()


def test_a_repeated_row_loads_nothing(tmp_path):
    PracticeFactory(ods_code="C84001")
    path = quinary_file(tmp_path, extra=[row("C84001", "MALE", "0_4", 10)])
    with pytest.raises(CommandError, match="a second row for C84001 MALE 0_4"):
        run("load_practice_populations", str(path))
    assert not PracticePopulation.objects.exists()


def test_a_file_without_the_age_column_is_refused_politely(tmp_path):
    path = write_csv(tmp_path / "sizes.csv", ["ORG_CODE", "SEX", "NUMBER_OF_PATIENTS"], [])
    with pytest.raises(CommandError, match="no column age_group_5 or age"):
        run("load_practice_populations", str(path))
