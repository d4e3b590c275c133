import csv
import gzip
import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from surveys import reference, services
from surveys.models import Area, PostcodeArea, Practice
from surveys.validators import postcode_normalise

pytestmark = pytest.mark.django_db

TEST_DATA = Path(__file__).resolve().parent.parent / "data"  # tests/data (README there)


def write_csv(path: Path, header: list[str], rows: list[list]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


# --- areas -----------------------------------------------------------------------------------


def test_load_areas_loads_every_nottinghamshire_lsoa_with_its_imd_decile():
    output = run("load_areas")

    assert "684 created" in output
    assert Area.objects.count() == 684
    # IMD 2025 File 7: Nottingham 018A is in the most deprived decile.
    assert Area.objects.get(lsoa_code="E01013810").imd_decile == 1
    assert Area.objects.get(lsoa_code="E01013810").name == "Nottingham 018A"


def test_load_areas_twice_changes_nothing():
    run("load_areas")
    output = run("load_areas")

    assert "0 created, 0 updated, 684 unchanged" in output
    assert Area.objects.count() == 684


def test_load_areas_updates_a_changed_decile(tmp_path):
    first = write_csv(
        tmp_path / "a.csv", ["lsoa21_code", "lsoa21_name", "imd_decile"], [["E01013810", "X", 1]]
    )
    second = write_csv(
        tmp_path / "b.csv", ["lsoa21_code", "lsoa21_name", "imd_decile"], [["E01013810", "X", 2]]
    )
    run("load_areas", str(first))

    output = run("load_areas", str(second))

    assert "1 updated" in output
    assert Area.objects.get(lsoa_code="E01013810").imd_decile == 2


def test_load_areas_without_the_decile_column_is_a_polite_error_and_loads_nothing(tmp_path):
    path = write_csv(tmp_path / "bad.csv", ["lsoa21_code", "lsoa21_name"], [["E01013810", "X"]])

    with pytest.raises(CommandError, match="no column imd_decile") as error:
        run("load_areas", str(path))

    assert "Nothing was loaded" in str(error.value)
    assert "lsoa21_code, lsoa21_name" in str(error.value)
    assert not Area.objects.exists()


def test_load_areas_skips_and_counts_rows_with_a_bad_decile_or_code(tmp_path):
    path = write_csv(
        tmp_path / "a.csv",
        ["lsoa21_code", "imd_decile"],
        [["E01013810", "11"], ["E01013811", "ten"], ["NOTANLSOA", "3"], ["E01013812", "4"]],
    )

    output = run("load_areas", str(path))

    assert "1 created" in output
    assert "2 skipped (IMD decile not 1-10)" in output
    assert "1 skipped (not a 2021 LSOA code)" in output
    assert "line 2" in output


def test_an_empty_or_missing_file_is_a_polite_error(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")

    with pytest.raises(CommandError, match="the file is empty"):
        run("load_areas", str(empty))
    with pytest.raises(CommandError, match="cannot be read"):
        run("load_areas", str(tmp_path / "absent.csv"))


# --- postcodes -------------------------------------------------------------------------------


@pytest.fixture
def areas():
    run("load_areas")


def test_load_postcode_areas_normalises_postcodes_and_links_them_to_lsoas(areas, tmp_path):
    path = write_csv(
        tmp_path / "pc.csv",
        ["postcode", "lsoa21_code"],
        [["ng181aa", "E01013810"], [" NG17 4JL ", "e01013811"]],
    )

    output = run("load_postcode_areas", str(path))

    assert "2 created" in output
    assert PostcodeArea.objects.get(postcode="NG18 1AA").area.lsoa_code == "E01013810"
    assert PostcodeArea.objects.get(postcode="NG17 4JL").area.lsoa_code == "E01013811"


def test_load_postcode_areas_accepts_nspl_column_names(areas, tmp_path):
    path = write_csv(
        tmp_path / "nspl.csv",
        ["pcd", "pcds", "dointr", "lsoa21cd", "imd"],
        [["NG181AA", "NG18 1AA", "198001", "E01013810", "123"]],
    )

    run("load_postcode_areas", str(path))

    assert PostcodeArea.objects.get(postcode="NG18 1AA").area.lsoa_code == "E01013810"


def test_load_postcode_areas_skips_unknown_lsoas_and_bad_postcodes_with_a_count(areas, tmp_path):
    path = write_csv(
        tmp_path / "pc.csv",
        ["postcode", "lsoa21_code"],
        [["NG18 1AA", "E01999999"], ["NOT A CODE", "E01013810"], ["NG18 1AB", "E01013810"]],
    )

    output = run("load_postcode_areas", str(path))

    assert "1 created" in output
    assert "1 skipped (LSOA not loaded)" in output
    assert "1 skipped (not a valid postcode)" in output


def test_load_postcode_areas_twice_changes_nothing_and_moves_a_changed_postcode(areas, tmp_path):
    path = write_csv(tmp_path / "a.csv", ["postcode", "lsoa21_code"], [["NG18 1AA", "E01013810"]])
    moved = write_csv(tmp_path / "b.csv", ["postcode", "lsoa21_code"], [["NG18 1AA", "E01013811"]])
    run("load_postcode_areas", str(path))

    assert "0 created, 0 updated, 1 unchanged" in run("load_postcode_areas", str(path))
    assert "1 updated" in run("load_postcode_areas", str(moved))
    assert PostcodeArea.objects.get().area.lsoa_code == "E01013811"


def test_load_postcode_areas_without_an_lsoa_column_is_a_polite_error(areas, tmp_path):
    path = write_csv(tmp_path / "pc.csv", ["postcode", "lsoa11cd"], [["NG18 1AA", "E01000001"]])

    with pytest.raises(CommandError, match="no column lsoa21_code or lsoa21cd"):
        run("load_postcode_areas", str(path))
    assert not PostcodeArea.objects.exists()


def test_load_postcode_areas_needs_a_file_or_synthetic_but_not_both(areas, tmp_path):
    with pytest.raises(CommandError, match="either a CSV file or --synthetic"):
        run("load_postcode_areas")


def test_a_patient_with_a_loaded_postcode_gets_its_lsoa_and_deprivation(areas, tmp_path):
    path = write_csv(tmp_path / "pc.csv", ["postcode", "lsoa21_code"], [["NG18 1AA", "E01013810"]])
    run("load_postcode_areas", str(path))

    patient = services.patient_create(
        by=None,
        nhs_number="9990000018",
        given_name="Alex",
        family_name="Tester",
        date_of_birth="1950-01-01",
        sex="female",
        postcode="NG18 1AA",
        preferred_channel="sms",
    )

    assert patient.area.imd_decile == 1


# --- synthetic postcodes ---------------------------------------------------------------------


def mid_notts_areas():
    with reference.IMD_FILE.open() as handle:
        return [
            (row["lsoa21_code"], row["lsoa21_name"])
            for row in csv.DictReader(handle)
            if row["mid_notts_lad"] == "True"
        ]


def test_synthetic_postcodes_cover_every_mid_notts_lsoa_three_times_and_are_unique():
    rows = reference.synthetic_postcode_areas(mid_notts_areas())

    assert len(mid_notts_areas()) == 219
    assert len(rows) == 219 * reference.SYNTHETIC_POSTCODES_PER_AREA
    assert len({postcode for postcode, _ in rows}) == len(rows)


def test_synthetic_postcodes_are_valid_in_form_but_cannot_be_real():
    for postcode, _ in reference.synthetic_postcode_areas(mid_notts_areas()):
        assert postcode_normalise(postcode) == postcode
        # Royal Mail never uses C, I, K, M, O or V in the inward code.
        assert re.fullmatch(r"NG(17|18|19|22|24) [0-9][CIKMOV]{2}", postcode)


def test_no_synthetic_postcode_is_a_real_ng_postcode():
    with gzip.open(TEST_DATA / "postcodes_ng_codepoint_open.csv.gz", "rt") as handle:
        real = {postcode_normalise(row["postcode"]) for row in csv.DictReader(handle)}

    synthetic = {p for p, _ in reference.synthetic_postcode_areas(mid_notts_areas())}

    assert not synthetic & real


def test_synthetic_postcodes_are_the_same_every_time_whatever_the_order():
    areas = mid_notts_areas()

    assert reference.synthetic_postcode_areas(areas) == reference.synthetic_postcode_areas(
        list(reversed(areas))
    )


def test_load_postcode_areas_synthetic_maps_only_mid_notts_lsoas(areas):
    output = run("load_postcode_areas", "--synthetic")

    assert "657 created" in output
    names = set(PostcodeArea.objects.values_list("area__name", flat=True))
    assert all(reference.area_district(name) for name in names)
    assert "657 unchanged" in run("load_postcode_areas", "--synthetic")


# --- practices -------------------------------------------------------------------------------


def test_load_practices_loads_mid_notts_practices_with_list_sizes():
    output = run("load_practices", "--mid-notts-only")

    assert "40 created" in output
    practice = Practice.objects.get(ods_code="C84009")
    assert practice.name == "Barnby Gate Surgery"
    assert practice.postcode == "NG24 1QD"
    assert practice.list_size == 13854


def test_load_practices_active_only_leaves_out_closed_practices():
    run("load_practices", "--mid-notts-only", "--active-only")

    assert Practice.objects.count() == 36
    assert not Practice.objects.filter(ods_code="C84031").exists()


def test_load_practices_twice_changes_nothing():
    run("load_practices")

    assert "0 created, 0 updated, 133 unchanged" in run("load_practices")


def test_load_practices_takes_list_sizes_from_a_separate_file(tmp_path):
    practices = write_csv(
        tmp_path / "p.csv",
        ["practice_code", "practice_name", "postcode", "status_code"],
        [["C84012", "WILLOWBROOK MEDICAL PRACTICE", "NG17 1ES", "A"]],
    )
    sizes = write_csv(
        tmp_path / "s.csv",
        ["extract_date", "practice_code", "number_of_patients"],
        [["01JAN2021", "C84012", "11000"]],
    )

    run("load_practices", str(practices), "--list-sizes", str(sizes))

    assert Practice.objects.get(ods_code="C84012").list_size == 11000


def test_load_practices_without_a_name_column_is_a_polite_error(tmp_path):
    path = write_csv(tmp_path / "p.csv", ["practice_code", "postcode"], [["C84012", "NG17 1ES"]])

    with pytest.raises(CommandError, match="no column practice_name or name"):
        run("load_practices", str(path))
    assert not Practice.objects.exists()


def test_load_practices_reads_the_shared_mid_notts_file_with_jan_2021_list_sizes():
    run(
        "load_practices",
        str(TEST_DATA / "gp_practices_mid_nottinghamshire.csv"),
        "--list-sizes",
        str(TEST_DATA / "gp_list_size_nottinghamshire_jan2021.csv"),
    )

    assert Practice.objects.count() == 49
    assert Practice.objects.filter(list_size__isnull=False).count() == 39
