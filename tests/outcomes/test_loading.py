import json

import pytest

from outcomes.loading import DefinitionError, load_catalogue
from tests.outcomes.definition_files import DELETE, INSTRUMENT, PATHWAY, changed, write_tree


def test_a_valid_tree_loads_its_instrument_and_pathway(tmp_path):
    definitions = load_catalogue(write_tree(tmp_path))

    assert definitions.instrument("mskt-core").title == "Test common questionnaire"
    assert definitions.pathway("back-pain").timepoints[0].instruments == ("mskt-core",)


def test_every_definition_records_the_checksum_of_its_file(tmp_path):
    definitions = load_catalogue(write_tree(tmp_path))

    assert len(definitions.instrument("mskt-core").checksum) == 64


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("licence", DELETE, "'licence' is required"),
        ("status", "final", "'status' must be one of draft, published"),
        ("version", "one", "is not like 1.0.0"),
        ("scoring.method", "magic", "unknown scoring method 'magic'"),
        ("items.0.kind", "slider", "'kind' must be one of choice, integer"),
        ("items.0.outcome", "happiness", "unknown outcome 'happiness'"),
        ("items.1.id", "pain1", "item ids must be unique"),
        ("scores.0.mic_source", "", "a MIC must cite its source"),
        ("scores.0.maximum", DELETE, "a number score needs a minimum and maximum"),
        ("harmonisation.0", {"outcome": "pain", "item": "pain9"}, "unknown item 'pain9'"),
        ("items.0.options", [{"code": 1, "label": "only"}], "two or more options"),
    ],
)
def test_a_broken_instrument_file_is_refused_with_a_message_naming_the_problem(
    tmp_path, path, value, message
):
    root = write_tree(tmp_path, instrument=changed(INSTRUMENT, path, value))

    with pytest.raises(DefinitionError, match=message):
        load_catalogue(root)


def test_licensed_wording_in_a_definition_file_is_refused(tmp_path):
    licensed = changed(INSTRUMENT, "licence.wording_licensed", True)

    with pytest.raises(DefinitionError, match="licensed wording must not be committed"):
        load_catalogue(write_tree(tmp_path, instrument=licensed))


def test_a_file_whose_version_differs_from_its_file_name_is_refused(tmp_path):
    root = write_tree(tmp_path)
    path = root / "instruments" / "mskt-core" / "1.0.0.json"
    path.rename(path.with_name("2.0.0.json"))

    with pytest.raises(DefinitionError, match="must match its folder and file name"):
        load_catalogue(root)


def test_a_file_that_is_not_json_is_refused_naming_the_file(tmp_path):
    root = write_tree(tmp_path)
    (root / "instruments" / "mskt-core" / "1.0.0.json").write_text("{not json")

    with pytest.raises(DefinitionError, match=r"mskt-core/1.0.0.json: not valid JSON"):
        load_catalogue(root)


def test_a_pathway_timepoint_without_the_common_questionnaire_is_refused(tmp_path):
    pathway = changed(PATHWAY, "timepoints.0.instruments", [])

    with pytest.raises(DefinitionError, match="every timepoint includes 'mskt-core'"):
        load_catalogue(write_tree(tmp_path, pathway=pathway))


def test_a_pathway_naming_an_unknown_instrument_is_refused(tmp_path):
    pathway = changed(PATHWAY, "timepoints.0.instruments", ["mskt-core", "sf-36"])

    with pytest.raises(DefinitionError, match="names 'sf-36'"):
        load_catalogue(write_tree(tmp_path, pathway=pathway))


def test_a_pathway_for_an_unknown_condition_is_refused(tmp_path):
    pathway = changed(PATHWAY, "condition", "gout")

    with pytest.raises(DefinitionError, match="unknown condition 'gout'"):
        load_catalogue(write_tree(tmp_path, pathway=pathway))


def test_the_current_version_is_the_highest_published_one(tmp_path):
    root = write_tree(tmp_path)
    folder = root / "instruments" / "mskt-core"
    for version, status in (("1.10.0", "published"), ("1.9.0", "published"), ("2.0.0", "draft")):
        document = changed(changed(INSTRUMENT, "version", version), "status", status)
        (folder / f"{version}.json").write_text(json.dumps(document))

    assert load_catalogue(root).instrument("mskt-core").version == "1.10.0"


@pytest.mark.parametrize(
    "reminder_days",
    [[0, 7], [-3], ["3"], [True], [3.5], [3, 3], "3 and 7"],
    ids=["zero", "negative", "text", "boolean", "fraction", "repeated", "not-a-list"],
)
def test_a_pathway_with_bad_reminder_days_is_refused(tmp_path, reminder_days):
    pathway = changed(PATHWAY, "reminder_days", reminder_days)

    with pytest.raises(DefinitionError, match="reminder_days"):
        load_catalogue(write_tree(tmp_path, pathway=pathway))
