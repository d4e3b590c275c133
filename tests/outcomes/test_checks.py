from outcomes import checks
from outcomes.loading import DefinitionError, load_catalogue
from tests.outcomes.definition_files import INSTRUMENT, changed, write_tree


def test_the_shipped_definitions_pass_the_system_checks():
    assert checks.definitions_check(None) == []


def test_a_broken_definition_file_fails_the_system_check_as_e001(monkeypatch):
    def broken():
        raise DefinitionError("instruments/oks/1.0.0.json: 'licence' is required.")

    monkeypatch.setattr(checks, "catalogue", broken)

    [error] = checks.definitions_check(None)

    assert error.id == "outcomes.E001"
    assert "'licence' is required" in error.msg


def test_a_score_range_the_scoring_cannot_reach_fails_the_check_as_e003(tmp_path):
    too_narrow = changed(INSTRUMENT, "scores.0.maximum", 6)
    spec = load_catalogue(write_tree(tmp_path, instrument=too_narrow)).instrument("mskt-core")

    [error] = checks._scoring_check(spec)

    assert error.id == "outcomes.E003"
    assert "score 'total' is 8 for the highest answers, outside 0-6" in error.msg
