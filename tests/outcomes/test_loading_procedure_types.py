"""Pathway procedure types: which procedures start a procedure-anchored timepoint (optional)."""

import copy

import pytest

from outcomes import checks
from outcomes.loading import DefinitionError, catalogue, load_catalogue
from tests.outcomes.definition_files import PATHWAY, write_tree

TYPES = [
    {"code": "total-knee-replacement", "label": "Total knee replacement"},
    {"code": "injection", "label": "Injection"},
]
POST_OP = {
    "code": "post-op",
    "label": "After your operation",
    "anchor": "procedure",
    "offset_days": 182,
    "opens_before_days": 14,
    "closes_after_days": 42,
    "instruments": ["mskt-core"],
    "follow_up": True,
}


def pathway_with(*, types=TYPES, **post_op) -> dict:
    pathway = copy.deepcopy(PATHWAY)
    if types is not None:
        pathway["procedure_types"] = types
    pathway["timepoints"].append({**POST_OP, **post_op})
    return pathway


def test_a_pathway_without_procedure_types_lets_any_procedure_start_its_timepoints(tmp_path):
    spec = load_catalogue(write_tree(tmp_path, pathway=pathway_with(types=None))).pathway(
        "back-pain"
    )

    assert spec.procedure_types == ()
    assert spec.timepoint("post-op").starts_after("anything at all")


def test_a_timepoint_naming_procedure_types_starts_only_after_those(tmp_path):
    pathway = pathway_with(procedures=["total-knee-replacement"])
    spec = load_catalogue(write_tree(tmp_path, pathway=pathway)).pathway("back-pain")

    assert [t.label for t in spec.procedure_types] == ["Total knee replacement", "Injection"]
    assert spec.timepoint("post-op").starts_after("total-knee-replacement")
    assert not spec.timepoint("post-op").starts_after("injection")


def test_a_timepoint_naming_an_unknown_procedure_type_is_refused(tmp_path):
    pathway = pathway_with(procedures=["hip-replacement"])

    with pytest.raises(DefinitionError, match="not in procedure_types: hip-replacement"):
        load_catalogue(write_tree(tmp_path, pathway=pathway))


def test_procedure_types_on_a_timepoint_not_anchored_on_a_procedure_are_refused(tmp_path):
    pathway = pathway_with(anchor="referral", procedures=["injection"])

    with pytest.raises(DefinitionError, match="anchored on a procedure"):
        load_catalogue(write_tree(tmp_path, pathway=pathway))


def test_an_empty_procedures_list_is_refused(tmp_path):
    with pytest.raises(DefinitionError, match="non-empty list"):
        load_catalogue(write_tree(tmp_path, pathway=pathway_with(procedures=[])))


def test_procedure_type_codes_must_be_unique(tmp_path):
    pathway = pathway_with(types=[TYPES[0], {**TYPES[0], "label": "Again"}])

    with pytest.raises(DefinitionError, match="procedure type codes must be unique"):
        load_catalogue(write_tree(tmp_path, pathway=pathway))


def test_a_procedure_type_needs_a_label(tmp_path):
    pathway = pathway_with(types=[{"code": "injection"}])

    with pytest.raises(DefinitionError, match="'label' is required"):
        load_catalogue(write_tree(tmp_path, pathway=pathway))


def test_a_bad_procedure_type_fails_the_system_check(tmp_path, monkeypatch):
    root = write_tree(tmp_path, pathway=pathway_with(procedures=["hip-replacement"]))
    monkeypatch.setattr(checks, "catalogue", lambda: load_catalogue(root))

    [error] = checks.definitions_check(None)

    assert error.id == "outcomes.E001"
    assert "hip-replacement" in error.msg


def test_knee_pain_1_1_0_starts_post_op_timepoints_only_after_a_knee_replacement():
    spec = catalogue().pathway("knee-pain", "1.1.0")

    post_op = [t for t in spec.timepoints if t.anchor == "procedure"]
    assert post_op and all(
        t.procedures == ("total-knee-replacement", "partial-knee-replacement") for t in post_op
    )


def test_knee_pain_1_0_0_keeps_its_meaning_any_procedure_starts_post_op_timepoints():
    spec = catalogue().pathway("knee-pain", "1.0.0")

    assert spec.procedure_types == ()
    assert all(not t.procedures for t in spec.timepoints)
