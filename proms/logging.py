"""Keep patient links and NHS numbers out of every log line.

A patient link (``/q/<token>/``) opens someone's questionnaire, so a log line that carries one is
a secret in a place many people read. This filter rewrites the token to ``<token>`` in the
message and its arguments, for Django's own loggers (``django.server``, ``django.request``) and
for gunicorn's access log (``proms/gunicorn_conf.py``). The short code on a letter
(``/l/ABCD-EFGH``) leads to the same questionnaire and becomes ``/l/<code>``; an API key sent as
``api_key=`` in a query string becomes ``api_key=<api-key>``.

Staff pages send NHS numbers in POST bodies, never in addresses; as defence in depth (an old
bookmark, a hand-typed address) an ``nhs_number=`` parameter and any 10-digit number in a query
string become ``<nhs-number>``.
"""

from __future__ import annotations

import logging
import re

PATIENT_LINK = re.compile(r"(/q/)[A-Za-z0-9_\-]{8,}")
# Whatever follows /l/ up to the next slash, query or quote: a code as printed, as typed (lower
# case, spaces as %20 or +) or mistyped is still a guess at someone's questionnaire.
LETTER_CODE = re.compile(r"(/l/)[^/?#\s\"']+")
API_KEY_PARAM = re.compile(r"(api_key=)[^&\s\"']*", re.IGNORECASE)
NHS_NUMBER_PARAM = re.compile(r"(nhs_number=)[^&\s\"']*", re.IGNORECASE)
QUERY_STRING = re.compile(r"\?[^\s\"']+")
# 10 digits, as typed (943 476 5919) and URL-encoded: "943+476+5919", "943%20476%205919".
TEN_DIGITS = re.compile(r"(?<![0-9])[0-9]{3}(?:\+|%20|-)?[0-9]{3}(?:\+|%20|-)?[0-9]{4}(?![0-9])")
NHS_NUMBER = "<nhs-number>"


def _redact_query(match: re.Match) -> str:
    # ``redact`` has already replaced every nhs_number= value in the whole text.
    return TEN_DIGITS.sub(NHS_NUMBER, match.group(0))


def redact(text: str) -> str:
    """``/q/abc…/page/2/`` becomes ``/q/<token>/page/2/``, ``/l/ABCD-EFGH`` becomes
    ``/l/<code>``, ``?nhs_number=9434765919`` becomes ``?nhs_number=<nhs-number>`` and
    ``?api_key=…`` becomes ``?api_key=<api-key>``."""
    text = PATIENT_LINK.sub(r"\1<token>", text)
    text = LETTER_CODE.sub(r"\1<code>", text)
    text = API_KEY_PARAM.sub(r"\1<api-key>", text)
    text = NHS_NUMBER_PARAM.sub(r"\1" + NHS_NUMBER, text)
    return QUERY_STRING.sub(_redact_query, text)


def _redact_atom(key: str, value: str) -> str:
    """gunicorn's ``%(q)s`` is a query string without its ``?``: redact it as one."""
    if key == "q" and value:
        return redact("?" + value)[1:]
    return redact(value)


class RedactPatientLinks(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {
                k: _redact_atom(k, v) if isinstance(v, str) else v for k, v in record.args.items()
            }
        return True
