import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from outcomes.models import InstrumentWording


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_the_score_command_prints_what_the_api_returns():
    answers = [4, 3, 2, 1, 0, 4, 3, 2, 1, 0, 4, 3]
    api = Client().post(
        "/api/v1/instruments/oks/score/",
        data={"answers": answers},
        content_type="application/json",
    )

    printed = run("score", "oks", json.dumps(answers))

    assert json.loads(printed) == api.json()


def test_the_score_command_names_the_item_with_a_bad_answer():
    with pytest.raises(CommandError, match="Item 'nrs01' does not accept 11"):
        run("score", "nrs-pain", "[11]")


def test_the_score_command_refuses_answers_that_are_not_json():
    with pytest.raises(CommandError, match="not valid JSON"):
        run("score", "nrs-pain", "[7")


def test_the_score_command_refuses_an_unknown_instrument():
    with pytest.raises(CommandError, match="No instrument 'sf-36'"):
        run("score", "sf-36", "[1]")


@pytest.mark.django_db
def test_load_definitions_reports_nothing_to_do_the_second_time():
    run("load_definitions")

    assert "0 created, 0 updated" in run("load_definitions")


@pytest.mark.django_db
def test_import_licensed_wording_refuses_a_partial_file_and_imports_nothing(
    loaded_definitions, tmp_path
):
    path = tmp_path / "odi-wording.json"
    path.write_text(json.dumps({"instrument": "odi", "version": "1.0.0", "items": {}}))

    with pytest.raises(CommandError, match="nothing was imported"):
        run("import_licensed_wording", str(path))

    assert not InstrumentWording.objects.exists()


@pytest.mark.django_db
def test_import_licensed_wording_refuses_a_missing_file(loaded_definitions, tmp_path):
    with pytest.raises(CommandError, match="cannot be read"):
        run("import_licensed_wording", str(tmp_path / "absent.json"))
