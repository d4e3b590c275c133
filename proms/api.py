"""API-wide behaviour: every error is JSON with a message a person can act on, never a 500 page."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)


def exception_handler(exc, context):
    """DRF's handler, with malformed JSON, oversized bodies and unexpected errors turned into
    polite messages."""
    if isinstance(exc, RequestDataTooBig):  # raised by Django as DRF reads the body
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return Response(
            {"error": f"The request body is too large: send at most {limit} bytes."},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    response = drf_exception_handler(exc, context)
    if response is not None:
        if isinstance(response.data, dict) and "detail" in response.data:
            response.data = {"error": str(response.data["detail"])}
        return response
    view = context.get("view")
    logger.exception("Unhandled API error in %s", type(view).__name__ if view else "unknown view")
    return Response(
        {"error": "Something went wrong on our side. Please try again later."},
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )


def document_bad_format(result, generator, request, public):
    """drf-spectacular post-processing: every operation taking ``format`` documents its 400."""
    error = {
        "description": "A query parameter is not valid (e.g. an unknown format).",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {"error": {"type": "string"}},
                    "required": ["error"],
                }
            }
        },
    }
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            names = {
                p.get("name") for p in operation.get("parameters", []) if p.get("in") == "query"
            }
            if "format" in names:
                operation.setdefault("responses", {}).setdefault("400", error)
    return result


class NonBlankQueryMixin:
    """Query parameters given empty (``?provider=``) are refused, not read as absent.

    DRF treats an empty value of an optional field in form-style input as if it were missing;
    the schema (``minLength: 1``) says an empty filter is not a filter, so it is a 400."""

    def to_internal_value(self, data):
        blank = [
            name
            for name, field in self.fields.items()
            if not field.read_only and hasattr(data, "get") and data.get(name, None) == ""
        ]
        if blank:
            raise serializers.ValidationError({name: ["Must not be empty."] for name in blank})
        return super().to_internal_value(data)


def not_found_json(request: HttpRequest) -> JsonResponse:
    """The API's 404 for an address no operation matches: JSON, like every API answer."""
    return JsonResponse({"error": "No API operation at this address."}, status=404)
