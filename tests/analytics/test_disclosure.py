"""Disclosure control: primary and secondary suppression and rounding."""

import pytest

from analytics import disclosure


def test_cells_below_threshold_are_withheld_and_zero_is_shown():
    counts = {"A": 0, "B": 3, "C": 12, "D": 20, "E": 4}
    assert disclosure.cells_to_withhold(counts, threshold=5) == {"B", "E"}


def test_single_withheld_cell_cannot_be_recovered_by_subtraction_from_the_total():
    counts = {"A": 3, "B": 40, "C": 11, "D": 25}
    withheld = disclosure.cells_to_withhold(counts, threshold=5)
    assert withheld == {"A", "C"}  # C is the next smallest
    total = sum(counts.values())
    shown = sum(n for k, n in counts.items() if k not in withheld)
    # What an attacker can recover is only the sum of the withheld cells, never one of them.
    assert total - shown == counts["A"] + counts["C"]
    assert len(withheld) >= 2


def test_secondary_suppression_in_two_dimensions_reaches_a_fixed_point():
    # Providers (rows) by months (columns); every row and every column has a known total.
    counts = {
        ("P1", "m1"): 2, ("P1", "m2"): 30, ("P1", "m3"): 31,
        ("P2", "m1"): 20, ("P2", "m2"): 21, ("P2", "m3"): 22,
        ("P3", "m1"): 40, ("P3", "m2"): 41, ("P3", "m3"): 42,
    }  # fmt: skip
    withheld = disclosure.cells_to_withhold(
        counts, partitions=[lambda k: ("row", k[0]), lambda k: ("col", k[1])], threshold=5
    )
    for axis in (0, 1):
        for label in {k[axis] for k in counts}:
            inside = [k for k in withheld if k[axis] == label]
            assert len(inside) != 1, f"{label} has exactly one withheld cell"
    assert ("P1", "m1") in withheld


def test_rounding_to_nearest_five():
    assert [disclosure.round_count(n, 5) for n in (0, 5, 7, 8, 12, 13)] == [0, 5, 5, 10, 10, 15]
    assert disclosure.round_count(7, 0) == 7


def test_protect_rows_nulls_every_statistic_of_a_withheld_row(settings):
    settings.DISCLOSURE_MIN_CELL = 5
    settings.DISCLOSURE_ROUND_TO = 5
    rows = [
        {"provider": "A", "n": 3, "mean_change": 4.2},
        {"provider": "B", "n": 9, "mean_change": 5.0},
        {"provider": "C", "n": 52, "mean_change": 6.1},
    ]
    protected = disclosure.protect_rows(rows, keep_keys=["provider"])
    assert protected[0] == {"provider": "A", "n": None, "mean_change": None, "suppressed": True}
    assert protected[1]["suppressed"] is True  # secondary: A alone could be recovered
    assert protected[2] == {"provider": "C", "n": 50, "mean_change": 6.1, "suppressed": False}


@pytest.mark.parametrize("responded,not_responded,withheld", [(3, 40, True), (40, 2, True)])
def test_both_responders_and_non_responders_are_protected(responded, not_responded, withheld):
    rows = [
        {"group": "x", "responded": responded, "not_responded": not_responded},
        {"group": "y", "responded": 50, "not_responded": 50},
        {"group": "z", "responded": 60, "not_responded": 70},
    ]
    protected = disclosure.protect_rows(
        rows, count_keys=["responded", "not_responded"], keep_keys=["group"]
    )
    assert protected[0]["suppressed"] is withheld
    assert sum(r["suppressed"] for r in protected) == 2


def test_default_rule_is_nhs_digitals_suppress_one_to_seven_round_to_five():
    policy = disclosure.policy()
    assert (policy["min_cell"], policy["round_counts_to"]) == (8, 5)
    assert "1 to 7" in policy["rule"] and "HES" in policy["source"]


@pytest.mark.parametrize(
    "parts,expected",
    [
        ((3, 2, 0), [5, 0, 0]),  # n 5: not "improved 5, unchanged 5"
        ((8, 8, 8), [10, 10, 5]),  # n 24 → 25, not 30; ties to the earlier part
        ((12, 0, 0), [10, 0, 0]),
        ((7, 3, 2), [5, 5, 0]),  # n 12 → 10: the largest remainder (3) rounds up
        ((6, 6, 6), [10, 5, 5]),
    ],
)
def test_controlled_rounding_adds_up_to_the_rounded_whole(parts, expected):
    rounded = disclosure.round_parts(list(parts), sum(parts), 5)
    assert rounded == expected
    assert sum(rounded) == disclosure.round_count(sum(parts), 5)
    assert all(abs(r - p) < 5 for r, p in zip(rounded, parts, strict=True))


def test_a_part_of_one_to_seven_is_withheld_and_the_rest_still_add_up(settings):
    settings.DISCLOSURE_MIN_CELL = 8
    settings.DISCLOSURE_ROUND_TO = 5
    rows = [{"group": "a", "n": 23, "improved": 20, "other": 3}]
    (row,) = disclosure.protect_rows(rows, keep_keys=["group"], parts={"n": ["improved", "other"]})
    assert row["n"] == 25 and row["improved"] == 20 and row["other"] is None


def test_protect_counts_publishes_a_plain_table(settings):
    settings.DISCLOSURE_MIN_CELL = 8
    settings.DISCLOSURE_ROUND_TO = 5
    published = disclosure.protect_counts({"jan": 12, "feb": 3, "mar": 40, "apr": 0})
    # feb is 1-7; jan, the next smallest, is withheld too so feb is not the total minus the rest
    assert published == {"jan": None, "feb": None, "mar": 40, "apr": 0}
