"""Patient links never reach a log line (runserver, Django, gunicorn)."""

import logging

import pytest

from proms.logging import RedactPatientLinks, redact

TOKEN = "Zq3xK9v_Ab-12cdEFghIJklMNopQRstUVwxYZ01234"


def test_redact_replaces_the_token_in_a_patient_link():
    assert (
        redact(f'"GET /q/{TOKEN}/page/2/ HTTP/1.1" 200') == '"GET /q/<token>/page/2/ HTTP/1.1" 200'
    )


def test_redact_leaves_other_paths_alone():
    assert redact("GET /staff/episodes/12/ 200") == "GET /staff/episodes/12/ 200"


def test_filter_redacts_message_arguments():
    record = logging.LogRecord(
        "django.server",
        logging.INFO,
        __file__,
        1,
        '"%s" %s',
        (f"GET /q/{TOKEN}/ HTTP/1.1", 200),
        None,
    )
    RedactPatientLinks().filter(record)
    assert TOKEN not in record.getMessage()


def test_filter_redacts_gunicorn_style_dict_arguments():
    record = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1, "%(r)s", None, None)
    record.args = {"r": f"GET /q/{TOKEN}/check/ HTTP/1.1", "s": "200"}
    RedactPatientLinks().filter(record)
    assert record.getMessage() == "GET /q/<token>/check/ HTTP/1.1"


def test_runserver_access_log_has_no_patient_link():
    logger = logging.getLogger("django.server")
    record = logger.makeRecord(
        "django.server",
        logging.INFO,
        __file__,
        1,
        '"%s" %s',
        (f"GET /q/{TOKEN}/ HTTP/1.1", 200),
        None,
    )
    for handler in logger.handlers:
        handler.filter(record)
    assert logger.handlers and TOKEN not in record.getMessage()


def test_gunicorn_config_filters_its_access_log():
    from proms import gunicorn_conf

    handler = gunicorn_conf.logconfig_dict["handlers"]["access"]
    assert handler["filters"] == ["redact"]
    assert (
        gunicorn_conf.logconfig_dict["filters"]["redact"]["()"]
        == "proms.logging.RedactPatientLinks"
    )


def test_redact_replaces_an_nhs_number_parameter():
    assert (
        redact('"GET /staff/patients/find/?nhs_number=9434765919 HTTP/1.1" 200')
        == '"GET /staff/patients/find/?nhs_number=<nhs-number> HTTP/1.1" 200'
    )


def test_redact_replaces_an_nhs_number_typed_with_spaces_in_the_parameter():
    assert redact("GET /staff/patients/new/?nhs_number=943+476+5919&x=1") == (
        "GET /staff/patients/new/?nhs_number=<nhs-number>&x=1"
    )


def test_redact_replaces_any_ten_digit_number_in_a_query_string():
    assert redact("GET /staff/?search=943%20476%205919&page=2 200") == (
        "GET /staff/?search=<nhs-number>&page=2 200"
    )


def test_redact_leaves_ten_digits_in_a_path_and_shorter_numbers_in_a_query_alone():
    line = "GET /staff/episodes/1234567890/?page=12345 200"
    assert redact(line) == line


def test_filter_redacts_the_gunicorn_query_string_argument():
    record = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1, "%(q)s", None, None)
    record.args = {"q": "search=9434765919", "s": "200"}
    RedactPatientLinks().filter(record)
    assert record.getMessage() == "search=<nhs-number>"


def test_runserver_access_log_has_no_nhs_number_from_an_address():
    logger = logging.getLogger("django.server")
    record = logger.makeRecord(
        "django.server",
        logging.INFO,
        __file__,
        1,
        '"%s" %s %s',
        ("GET /staff/patients/find/?nhs_number=9434765919 HTTP/1.1", 200, 512),
        None,
    )
    for handler in logger.handlers:
        handler.filter(record)
    assert logger.handlers and "9434765919" not in record.getMessage()


@pytest.mark.parametrize(
    "path",
    ["/l/RQNG-8RDH", "/l/RQNG-8RDH/", "/l/rqng%208rdh", "/l/rqng+8rdh?x=1"],
    ids=["printed", "slash", "typed-with-space", "plus"],
)
def test_redact_replaces_a_letter_short_code(path):
    line = redact(f'"GET {path} HTTP/1.1" 302')

    assert "/l/<code>" in line
    assert "RQNG" not in line.upper()
    assert "8RDH" not in line.upper()


def test_redact_replaces_an_api_key_parameter():
    line = redact('"GET /api/v1/outcomes/?api_key=proms_abc123&condition=knee-pain HTTP/1.1"')

    assert line == '"GET /api/v1/outcomes/?api_key=<api-key>&condition=knee-pain HTTP/1.1"'


def test_runserver_access_log_has_no_letter_code():
    logger = logging.getLogger("django.server")
    record = logger.makeRecord(
        "django.server",
        logging.INFO,
        __file__,
        1,
        '"%s" %s',
        ("GET /l/RQNG-8RDH HTTP/1.1", 302),
        None,
    )
    for handler in logger.handlers:
        handler.filter(record)

    assert "RQNG" not in record.getMessage()
