"""Patient links never reach a log line (runserver, Django, gunicorn)."""

import logging

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
