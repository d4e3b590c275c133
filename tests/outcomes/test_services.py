import json

import pytest

from outcomes.loading import load_catalogue
from outcomes.models import AuditEvent, Instrument, InstrumentWording, Outcome, Pathway
from outcomes.selectors import instrument_wording
from outcomes.services import (
    DefinitionConflict,
    WordingError,
    definitions_load,
    licensed_wording_import,
)
from tests.outcomes.definition_files import INSTRUMENT, changed, write_tree

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_definitions_loaded():
    """Start from an empty definitions table (the test database is preloaded with them)."""
    Pathway.objects.all().delete()
    Instrument.objects.all().delete()


def test_loading_definitions_copies_every_file_into_the_database(definitions):
    definitions_load(definitions=definitions)

    assert Instrument.objects.count() == len(definitions.instruments)
    assert Pathway.objects.count() == len(definitions.pathways)
    assert Outcome.objects.filter(group="living-with-msk").count() == 4


def test_loading_definitions_twice_changes_nothing(definitions):
    definitions_load(definitions=definitions)
    events = AuditEvent.objects.count()

    report = definitions_load(definitions=definitions)

    assert report.created == [] and report.updated == []
    assert AuditEvent.objects.count() == events


def test_loading_a_new_instrument_writes_an_audit_event(definitions):
    definitions_load(definitions=definitions)

    event = AuditEvent.objects.get(
        action="definition.created",
        object_type="outcomes.instrument",
        details__code="mskt-core",
        details__version=definitions.instrument("mskt-core").version,
    )
    assert event.actor is None


def test_a_changed_published_version_is_refused_and_nothing_is_saved(
    tmp_path, no_definitions_loaded
):
    definitions_load(definitions=load_catalogue(write_tree(tmp_path / "a")))
    edited = changed(INSTRUMENT, "title", "Edited in place")
    before = AuditEvent.objects.count()

    with pytest.raises(DefinitionConflict, match="published version is immutable"):
        definitions_load(definitions=load_catalogue(write_tree(tmp_path / "b", instrument=edited)))

    assert Instrument.objects.get(code="mskt-core").title == "Test common questionnaire"
    assert AuditEvent.objects.count() == before


def test_a_changed_draft_version_is_updated_in_place(tmp_path, no_definitions_loaded):
    draft = changed(INSTRUMENT, "status", "draft")
    definitions_load(definitions=load_catalogue(write_tree(tmp_path / "a", instrument=draft)))
    edited = changed(draft, "title", "Better title")

    report = definitions_load(
        definitions=load_catalogue(write_tree(tmp_path / "b", instrument=edited))
    )

    assert report.updated == ["instrument mskt-core 1.0.0"]
    assert Instrument.objects.get(code="mskt-core").title == "Better title"


def _wording_file(spec, **overrides) -> bytes:
    document = {
        "instrument": spec.code,
        "version": spec.version,
        "language": "en",
        "items": {
            item.id: {
                "text": f"Licensed question {n}",
                **(
                    {"options": {str(o.code): f"Licensed answer {o.code}" for o in item.options}}
                    if item.kind == "choice"
                    else {}
                ),
            }
            for n, item in enumerate(spec.items, start=1)
        },
    }
    document.update(overrides)
    return json.dumps(document).encode()


def test_imported_licensed_wording_is_what_patients_see(loaded_definitions):
    spec = loaded_definitions.instrument("oks")

    licensed_wording_import(definitions=loaded_definitions, content=_wording_file(spec))

    first = instrument_wording(spec)[0]
    assert first.text == "Licensed question 1"
    assert dict(first.options)[4] == "Licensed answer 4"


def test_without_licensed_wording_patients_see_the_neutral_labels(loaded_definitions):
    spec = loaded_definitions.instrument("oks")

    first = instrument_wording(spec)[0]

    assert first.text == spec.items[0].label


def test_a_wording_file_missing_an_item_is_refused_naming_it_and_saves_nothing(
    loaded_definitions,
):
    spec = loaded_definitions.instrument("oks")
    content = json.loads(_wording_file(spec))
    del content["items"][spec.items[2].id]

    with pytest.raises(WordingError, match=f"Item '{spec.items[2].id}' needs its 'text'"):
        licensed_wording_import(
            definitions=loaded_definitions, content=json.dumps(content).encode()
        )

    assert not InstrumentWording.objects.exists()


def test_a_wording_file_with_wrong_option_codes_is_refused(loaded_definitions):
    spec = loaded_definitions.instrument("oks")
    content = json.loads(_wording_file(spec))
    content["items"][spec.items[0].id]["options"] = {"1": "a", "2": "b"}

    with pytest.raises(WordingError, match="needs option text for codes 0, 1, 2, 3, 4"):
        licensed_wording_import(
            definitions=loaded_definitions, content=json.dumps(content).encode()
        )


def test_a_wording_file_for_an_unknown_instrument_is_refused(loaded_definitions):
    with pytest.raises(WordingError, match="No instrument 'sf-36' version '1.0.0'"):
        licensed_wording_import(
            definitions=loaded_definitions,
            content=b'{"instrument": "sf-36", "version": "1.0.0", "items": {}}',
        )


def test_a_wording_file_that_is_not_json_is_refused(loaded_definitions):
    with pytest.raises(WordingError, match="not valid JSON"):
        licensed_wording_import(definitions=loaded_definitions, content=b"\xff\xfe")


def test_importing_wording_writes_an_audit_event_without_the_text(loaded_definitions):
    spec = loaded_definitions.instrument("oks")

    licensed_wording_import(definitions=loaded_definitions, content=_wording_file(spec))

    event = AuditEvent.objects.get(action="wording.imported")
    assert event.details == {"instrument": "oks", "version": spec.version, "language": "en"}
