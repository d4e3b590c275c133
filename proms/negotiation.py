"""Content negotiation for the API: ``?format=`` must name a format the operation has.

Its own module: DRF imports the negotiation class while ``rest_framework.views`` loads, so it
must not import anything that imports ``rest_framework.views`` (as proms/api.py does).
"""

from __future__ import annotations

from rest_framework import exceptions, status
from rest_framework.negotiation import DefaultContentNegotiation


class UnknownFormat(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "unknown_format"


class StrictFormatNegotiation(DefaultContentNegotiation):
    """DRF's negotiation, but ``?format=`` must name one of the view's formats.

    DRF answers an unknown ``?format=`` with its HTML-less 404 and treats an empty one as
    absent; the schema documents ``format`` as an enum, so both are a 400 saying what is
    allowed (documented on every operation by ``proms.api.document_bad_format``)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        name = self.settings.URL_FORMAT_OVERRIDE
        if name and name in request.query_params:
            given = request.query_params[name]
            allowed = [renderer.format for renderer in renderers]
            if given not in allowed:
                raise UnknownFormat(
                    f"Unknown format {given!r}: use one of {', '.join(sorted(allowed))}."
                )
        return super().select_renderer(request, renderers, format_suffix)
