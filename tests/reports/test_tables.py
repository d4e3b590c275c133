"""The pack's tables: every figure the dashboard's table has, in fewer cells, with widths."""

from __future__ import annotations

from dashboard.templatetags.dashboard import cell
from reports.tables import column_widths, dashboard_table, interval_columns

MONTHS = [
    {"outcome": "pain", "period": f"2026-{m:02d}", "n": 30 + m, "mean_change": 9.0 + m,
     "process_mean": 9.73, "suppressed": False}
    for m in range(1, 5)
] + [{"outcome": "pain", "period": "2026-05", "n": None, "mean_change": None,
      "process_mean": None, "suppressed": True}]  # fmt: skip
COLUMNS = [
    ("outcome", "Outcome"),
    ("period", "Period"),
    ("n", "Patients (n)"),
    ("mean_change", "Mean change"),
    ("process_mean", "Process mean"),
    ("suppressed", "Withheld"),
]


def test_a_row_withheld_whole_is_named_under_the_table_not_printed():
    table, notes = dashboard_table(COLUMNS, MONTHS, cell)

    assert [row[0] for row in table.rows] == ["2026-01", "2026-02", "2026-03", "2026-04"]
    assert "Withheld (too few patients): 2026-05." in notes


def test_a_column_the_same_in_every_row_is_said_once_under_the_table():
    table, notes = dashboard_table(COLUMNS, MONTHS, cell)

    assert table.columns == ["Period", "Patients (n)", "Mean change"]
    assert notes[0] == "In every row: Outcome: pain; Process mean: 9.73."


def test_a_wide_table_writes_each_figure_with_its_interval_in_one_cell():
    columns = [
        ("group", "Group"),
        ("mean_change", "Mean change"),
        ("mean_change_lower", "Change: lower 95%"),
        ("mean_change_upper", "Change: upper 95%"),
    ] + [(f"x{i}", f"X{i}") for i in range(9)]
    rows = [
        {"group": f"Q{g}", "mean_change": 9.2, "mean_change_lower": 5.7 + g,
         "mean_change_upper": 12.8, **{f"x{i}": i + g for i in range(9)}}
        for g in range(3)
    ]  # fmt: skip

    table, notes = dashboard_table(columns, rows, cell)

    assert table.columns[1] == "Mean change (95% CI)"
    assert table.rows[0][1] == "9.2 (5.7 to 12.8)"
    assert len(table.columns) == 10 and notes[-1] == "Also in the dashboard's CSV, by row: X8."


def test_column_widths_follow_their_content_and_add_up_to_the_whole_table():
    widths = column_widths(["Practice", "People"], [["Abbey Medical Group", "45"]])

    assert sum(widths) == 100
    assert widths[0] > widths[1]


def test_an_interval_belongs_to_the_figure_just_before_it_when_names_differ():
    columns = [
        ("standardised_rate_per_1000", "Standardised rate per 1,000"),
        ("rate_lower", "Rate lower"),
        ("rate_upper", "Rate upper"),
    ]

    assert interval_columns(columns) == {"standardised_rate_per_1000": ("rate_lower", "rate_upper")}


def test_column_widths_take_numbers_as_printed():
    widths = column_widths(["Option", "Patients"], [["Hub", 1200], ["Community", 35]])

    assert sum(widths) == 100 and widths[0] > widths[1]


def test_a_figure_part_with_no_columns_gives_an_empty_table():
    table, notes = dashboard_table([], [], cell)

    assert table.columns == [] and table.rows == [] and notes == []
