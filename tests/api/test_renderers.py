import csv
import io

from outcomes.renderers import CsvRenderer, csv_text, flatten


def parse(text):
    return list(csv.reader(io.StringIO(text)))


def test_rows_become_lines_under_a_header_of_every_key_in_first_seen_order():
    text = csv_text([{"provider": "RAA01", "n": 12}, {"provider": "RBB02", "note": "few"}])

    assert parse(text) == [["provider", "n", "note"], ["RAA01", "12", ""], ["RBB02", "", "few"]]


def test_nested_objects_become_dotted_columns():
    assert flatten({"scores": {"oks": {"total": 40}}, "mode": "self"}) == {
        "scores.oks.total": 40,
        "mode": "self",
    }


def test_cells_a_spreadsheet_would_run_as_formulas_are_defused():
    text = csv_text(
        [{"a": '=HYPERLINK("http://x")', "b": "+1", "c": "-cmd", "d": "@SUM(A1)", "e": "\tx"}]
    )

    assert parse(text)[1] == ['\'=HYPERLINK("http://x")', "'+1", "'-cmd", "'@SUM(A1)", "'\tx"]


def test_negative_numbers_stay_numbers():
    assert parse(csv_text([{"mean_change": -3.5}]))[1] == ["-3.5"]


def test_nulls_are_empty_and_booleans_are_words():
    assert parse(csv_text([{"a": None, "b": True}]))[1] == ["", "true"]


def test_the_renderer_writes_the_results_of_a_summary_envelope():
    body = CsvRenderer().render({"meta": {"condition": "knee-pain"}, "results": [{"n": 5}]})

    assert body.decode() == "n\r\n5\r\n"


def test_an_error_renders_as_one_line():
    body = CsvRenderer().render({"error": "That API key is not valid."})

    assert parse(body.decode()) == [["error"], ["That API key is not valid."]]
