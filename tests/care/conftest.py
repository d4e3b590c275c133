"""Staff at two providers (as tests/surveys/staff), and helpers to answer questionnaires."""

from __future__ import annotations

from tests.surveys.answering import answer, answers_for, oks_items  # noqa: F401
from tests.surveys.staff.conftest import (  # noqa: F401 - fixtures shared with the staff tests
    client_a,
    enrol,
    episode_a,
    episode_b,
    knee,
    provider_a,
    provider_b,
    staff_a,
    staff_b,
)
