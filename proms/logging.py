"""Keep patient links out of every log line.

A patient link (``/q/<token>/``) opens someone's questionnaire, so a log line that carries one is
a secret in a place many people read. This filter rewrites the token to ``<token>`` in the
message and its arguments, for Django's own loggers (``django.server``, ``django.request``) and
for gunicorn's access log (``proms/gunicorn.conf.py``).
"""

from __future__ import annotations

import logging
import re

PATIENT_LINK = re.compile(r"(/q/)[A-Za-z0-9_\-]{8,}")


def redact(text: str) -> str:
    """``/q/abc…/page/2/`` becomes ``/q/<token>/page/2/``."""
    return PATIENT_LINK.sub(r"\1<token>", text)


class RedactPatientLinks(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {
                k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()
            }
        return True
