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
