"""The API's JSON parser: DRF's, with hostile nesting answered as a 400, not a 500.

Python's JSON decoder recurses once per level of nesting: a body of a few thousand ``[`` raises
``RecursionError``, which is not a parse error to DRF and so became a 500. No request of ours
nests deeper than a few levels, so anything past ``MAX_DEPTH`` is refused before decoding.
"""

from __future__ import annotations

import json
from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_DEPTH = 32
TOO_DEEP = f"JSON parse error: nested more than {MAX_DEPTH} levels deep."


def json_depth_exceeds(text: str, limit: int = MAX_DEPTH) -> bool:
    """Whether brackets outside strings nest deeper than ``limit`` (a linear scan, no recursion)."""
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def json_loads_bounded(text: str | bytes) -> Any:
    """``json.loads`` that raises ``ValueError`` (not ``RecursionError``) for deep nesting."""
    if isinstance(text, bytes):
        text = text.decode()
    if json_depth_exceeds(text):
        raise ValueError(TOO_DEEP)
    return json.loads(text)


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        try:
            text = stream.read().decode(encoding) if stream is not None else ""
        except UnicodeDecodeError as error:
            raise ParseError(f"JSON parse error: {error}") from None
        if json_depth_exceeds(text):
            raise ParseError(TOO_DEEP)
        try:
            return json.loads(text, parse_constant=self._refuse_constant)
        except ValueError as error:
            raise ParseError(f"JSON parse error: {error}") from None

    @staticmethod
    def _refuse_constant(name: str) -> None:
        # NaN and Infinity are not JSON (RFC 8259), whatever Python's decoder allows.
        raise ValueError(f"{name} is not valid JSON")
