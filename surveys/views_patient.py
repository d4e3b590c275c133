"""The patient's pages: date of birth, questionnaire pages, check your answers, submit, done.

Thin views over :mod:`surveys.services` (writes) and :mod:`surveys.questionnaire` (pages).

* A link that is unknown, expired, used or cancelled gets one page with one status (404) and one
  text, so nobody can learn from it whether a token exists. A locked link says whom to call.
* After the right date of birth a signed, HttpOnly cookie scoped to ``/q/<token>/`` proves it
  for a few hours, so later pages ask nothing and need no session.
* A page POST costs two queries: the invitation by token (with its episode and patient, SQL
  compiled once: ``surveys/links.py``) and one UPDATE of the draft answers; the submit reads
  the invitation once, locked, and writes (``tests/surveys/patient``; ``bench/``).
* Patient pages never show a name, NHS number or date of birth, are never cached or indexed and
  send no referrer to other sites.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
import re

from django.conf import settings
from django.db import IntegrityError, transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_protect
from django.views.defaults import page_not_found

from outcomes.selectors import placeholder_wording_allowed
from proms.transactions import rerun_when_deadlocked
from surveys import guidance, questionnaire, services
from surveys.models import Invitation, Response

logger = logging.getLogger(__name__)

COOKIE_NAME = "proms_dob"
COOKIE_SALT = "surveys.patient.birth-date-confirmed"
COOKIE_MAX_AGE = 4 * 60 * 60  # long enough to answer, short enough on a shared phone


# ---------------------------------------------------------------------------------------------
# Headers and shared pieces


# The address carries the patient's link, so it must never leave the site in a Referer header.
# "same-origin" does that. "no-referrer" would too, but browsers then send "Origin: null" with
# every form POST (Fetch standard), which Django's CSRF check rightly refuses.
REFERRER_POLICY = "same-origin"


def patient_page(view):
    """No caching, no indexing, no referrer to other sites: the address carries the link."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        response["X-Robots-Tag"] = "noindex, nofollow"
        response["Referrer-Policy"] = REFERRER_POLICY
        if response.status_code >= 400:
            # Django's request logger would write the path, and the path is the patient's link.
            response._has_been_logged = True
            logger.info("Patient page answered %s", response.status_code)
        return response

    return wrapped


def _language(invitation) -> str:
    return invitation.episode.patient.preferred_language or questionnaire.DEFAULT_LANGUAGE


def _interface_language(invitation) -> str | None:
    """The reviewed translation (``settings.LANGUAGES``) closest to the patient's language:
    the same code, else the same primary subtag (``pl-PL`` -> ``pl``); None when there is none."""
    wanted = _language(invitation).lower().replace("_", "-")
    codes = [code for code, _name in settings.LANGUAGES]
    exact = [code for code in codes if code.lower() == wanted]
    primary = [code for code in codes if code.lower().split("-")[0] == wanted.split("-")[0]]
    return next(iter(exact or primary), None)


def _override(invitation):
    """Speak the patient's language where we have the words (English otherwise)."""
    code = _interface_language(invitation)
    return translation.override(code) if code else contextlib.nullcontext()


def _language_missing(invitation) -> str:
    """The name of the patient's language when we have no reviewed translation into it (the
    pages then say, in English, that they are in English), else ``""``."""
    if _interface_language(invitation) is not None:
        return ""
    wanted = _language(invitation)
    try:
        return translation.get_language_info(wanted)["name"]
    except KeyError:
        try:
            return translation.get_language_info(wanted.split("-")[0])["name"]
        except KeyError:
            return wanted


def _not_ready(request):
    """Production never shows a patient placeholder labels for licensed wording (the scheduler
    holds such invitations; this covers a link sent before the wording was removed)."""
    logger.warning("Patient page refused: licensed wording not loaded")
    return render(request, "patient/not_ready.html", status=503)


def link_problem(request, status: int = 404):
    """The one page for unknown, expired, used and cancelled links (the same words for all)."""
    return render(request, "patient/link_problem.html", status=status)


def locked(request, invitation):
    provider = invitation.episode.provider
    phone = provider.contact_phone
    with _override(invitation):
        return render(
            request,
            "patient/locked.html",
            {
                "phone": phone,
                "phone_digits": re.sub(r"[^0-9+]", "", phone),
                "provider_name": provider.name,
            },
            status=403,
        )


def _cookie_value(invitation) -> str:
    return f"{invitation.pk}:{invitation.token_hash}"


def _confirmed(request, invitation) -> bool:
    value = request.get_signed_cookie(
        COOKIE_NAME, default=None, salt=COOKIE_SALT, max_age=COOKIE_MAX_AGE
    )
    return value is not None and value == _cookie_value(invitation)


def _set_confirmed(response, invitation, token: str):
    response.set_signed_cookie(
        COOKIE_NAME,
        _cookie_value(invitation),
        salt=COOKIE_SALT,
        max_age=COOKIE_MAX_AGE,
        path=reverse("patient:start", args=[token]),
        secure=not settings.DEBUG,
        httponly=True,
        samesite="Lax",
    )
    return response


def _gate(request, token: str, *, completed: bool = False, lock: bool = False):
    """The invitation behind a link and its owner's proof, or the page to show instead.

    Returns ``(invitation, None)`` when the page may go on, else ``(None, response)``.
    ``completed``: the page is for after submitting (the done page). ``lock``: lock the
    invitation's row (inside the caller's transaction), for the submit.
    """
    invitation = services.invitation_for_token(token, lock=lock)
    if invitation is None:
        return None, link_problem(request)
    if invitation.locked_at is not None:
        return None, locked(request, invitation)
    confirmed = _confirmed(request, invitation)
    if invitation.status == Invitation.Status.COMPLETED:
        if not confirmed:
            return None, link_problem(request)
        if completed:
            return invitation, None
        return None, redirect("patient:done", token)
    if not services.invitation_is_answerable(invitation):
        return None, link_problem(request)
    if not confirmed:
        return None, redirect("patient:start", token)
    if completed:
        return None, redirect("patient:start", token)
    return invitation, None


def _resume_url(invitation, token: str, pages=None) -> str:
    pages = pages or questionnaire.page_plan(invitation)
    page = questionnaire.first_unanswered(pages, invitation.draft_answers)
    if page is None:
        return reverse("patient:check", args=[token])
    return reverse("patient:page", args=[token, page.number])


# ---------------------------------------------------------------------------------------------
# Date of birth


def _birth_date(data) -> tuple[dt.date | None, dict, str]:
    """The date typed, what was typed (to show again) and an error message."""
    typed = {part: data.get(f"dob-{part}", "").strip()[:4] for part in ("day", "month", "year")}
    if not all(typed.values()):
        if not any(typed.values()):
            return None, typed, _("Enter your date of birth")
        return None, typed, _("Date of birth must include a day, month and year")
    try:
        date = dt.date(int(typed["year"]), int(typed["month"]), int(typed["day"]))
    except ValueError:
        return None, typed, _("Date of birth must be a real date")
    if date > timezone.localdate():
        return None, typed, _("Date of birth must be in the past")
    if date.year < 1900:
        return None, typed, _("Date of birth must be a real date")
    return date, typed, ""


@patient_page
@csrf_protect
def start(request, token: str):
    invitation = services.invitation_for_token(token)
    if invitation is None:
        return link_problem(request)
    if invitation.locked_at is not None:
        return locked(request, invitation)
    confirmed = _confirmed(request, invitation)
    if invitation.status == Invitation.Status.COMPLETED and confirmed:
        return redirect("patient:done", token)
    if not services.invitation_is_answerable(invitation):
        return link_problem(request)
    if confirmed:
        return redirect(_resume_url(invitation, token))
    context = {
        "dob": {},
        "dob_error": "",
        "error_summary": [],
        "language_missing": _language_missing(invitation),
    }
    with _override(invitation):  # messages in the patient's language
        if request.method == "POST":
            date, typed, error = _birth_date(request.POST)
            context["dob"] = typed
            if date is not None:
                if services.invitation_confirm_birth_date(
                    invitation=invitation, date_of_birth=date
                ):
                    logger.info("Invitation %s: date of birth confirmed", invitation.pk)
                    return _set_confirmed(
                        redirect(_resume_url(invitation, token)), invitation, token
                    )
                invitation.refresh_from_db(fields=["dob_attempts", "locked_at"])
                if invitation.locked_at is not None:
                    return locked(request, invitation)
                left = services.MAX_DOB_ATTEMPTS - invitation.dob_attempts
                error = translation.ngettext(
                    "The date of birth does not match our records. You can try %(left)d more time.",
                    "The date of birth does not match our records. "
                    "You can try %(left)d more times.",
                    left,
                ) % {"left": left}
                context["dob"] = {}
            context["dob_error"] = error
            context["error_summary"] = [("dob-day", error)]
        return render(request, "patient/start.html", context)


# ---------------------------------------------------------------------------------------------
# Questionnaire pages


@patient_page
@csrf_protect
def page(request, token: str, n: int):
    invitation, refusal = _gate(request, token)
    if refusal is not None:
        return refusal
    pages = questionnaire.page_plan(invitation)
    if not 1 <= n <= len(pages):
        return redirect(_resume_url(invitation, token, pages))
    draft = invitation.draft_answers
    resume = questionnaire.first_unanswered(pages, draft)
    if resume is not None and n > resume.number:  # no skipping ahead of what is answered
        return redirect("patient:page", token, resume.number)
    this = pages[n - 1]
    returning = request.GET.get("return") == "check"
    values: dict = dict(draft.get(this.code) or {})
    errors: dict = {}
    if request.method == "POST":
        with _override(invitation):  # the error messages are in the patient's language
            answers = questionnaire.parse_page(this, request.POST)
        if answers.is_valid:
            saved = {**(draft.get(this.code) or {}), **answers.values}
            services.invitation_save_answers(
                invitation=invitation, instrument_code=this.code, answers=saved
            )
            if returning or n == len(pages):
                return redirect("patient:check", token)
            return redirect("patient:page", token, n + 1)
        if answers.tampered:
            logger.warning(
                "Invitation %s: page %s refused a value it never offered", invitation.pk, n
            )
            values = {}  # show nothing of a form we did not send
        else:
            values = answers.raw
        errors = answers.errors
    with _override(invitation):
        words = questionnaire.wording(this.instrument, _language(invitation))
        if words.placeholder and not placeholder_wording_allowed():
            return _not_ready(request)
        action = request.path + ("?return=check" if returning else "")
        if returning:
            back_url = reverse("patient:check", args=[token])
        elif n > 1:
            back_url = reverse("patient:page", args=[token, n - 1])
        else:
            back_url = ""
        return render(
            request,
            "patient/page.html",
            {
                "page": this,
                "total": len(pages),
                # In steps of 5 %: a class per step (static/css), no style attribute, so the
                # Content-Security-Policy needs no 'unsafe-inline' for styles.
                "percent": 5 * round(20 * (n - 1) / len(pages)),
                "title": words.title,
                "instructions": words.instructions,
                "questions": questionnaire.render_items(
                    this, language=_language(invitation), values=values, errors=errors
                ),
                "error_summary": questionnaire.error_summary(this, errors),
                "action": action,
                "back_url": back_url,
                "returning": returning,
                "placeholder_notice": words.placeholder,
                "language_missing": _language_missing(invitation),
            },
        )


def _check_sections(invitation, token: str, pages, language: str) -> list[dict]:
    """A section per questionnaire (shown folded, so the page stays a few screens long), each
    answer numbered as its question was, with a Change link to its page."""
    sections: list[dict] = []
    for this in pages:
        words = questionnaire.wording(this.instrument, language)
        if not sections or sections[-1]["code"] != this.code:
            sections.append(
                {
                    "code": this.code,
                    "title": words.title,
                    "rows": [],
                    "placeholder": words.placeholder,
                    "change_url": reverse("patient:page", args=[token, this.number])
                    + "?return=check",
                }
            )
        saved = invitation.draft_answers.get(this.code) or {}
        change = reverse("patient:page", args=[token, this.number]) + "?return=check"
        for number, item in this.numbers():
            sections[-1]["rows"].append(
                {
                    "number": number,
                    "question": words.items[item.id].text,
                    "answer": questionnaire.answer_words(this, item, saved.get(item.id), language),
                    "change_url": change,
                }
            )
    return sections


@patient_page
def check(request, token: str):
    invitation, refusal = _gate(request, token)
    if refusal is not None:
        return refusal
    return _render_check(request, invitation, token)


def _render_check(request, invitation, token, error: str = ""):
    pages = questionnaire.page_plan(invitation)
    resume = questionnaire.first_unanswered(pages, invitation.draft_answers)
    if resume is not None:
        return redirect("patient:page", token, resume.number)
    with _override(invitation):
        sections = _check_sections(invitation, token, pages, _language(invitation))
        placeholder = any(section["placeholder"] for section in sections)
        if placeholder and not placeholder_wording_allowed():
            return _not_ready(request)
        return render(
            request,
            "patient/check.html",
            {
                "sections": sections,
                "placeholder_notice": placeholder,
                "language_missing": _language_missing(invitation),
                "back_url": reverse("patient:page", args=[token, len(pages)]),
                "submit_url": reverse("patient:submit", args=[token]),
                "error_summary": [("main", error)] if error else [],
            },
            status=400 if error else 200,
        )


@patient_page
@csrf_protect
def submit(request, token: str):
    """Send the answers, once: a second POST (double tap, back, retry) just shows the done page."""
    if request.method != "POST":
        return redirect("patient:check", token)
    invitation = None

    def submit_once():
        # One transaction: the invitation is read once, its row locked, checked and completed.
        nonlocal invitation
        with transaction.atomic():
            invitation, refusal = _gate(request, token, lock=True)
            if refusal is not None:
                return refusal
            pages = questionnaire.page_plan(invitation)
            resume = questionnaire.first_unanswered(pages, invitation.draft_answers)
            if resume is not None:
                return redirect("patient:page", token, resume.number)
            with _override(invitation):  # a refusal is explained in the patient's language
                services.response_submit(
                    invitation=invitation,
                    answers=invitation.draft_answers,
                    mode=Response.Mode.SELF_PHONE,
                    locked=True,
                )
        return None

    try:
        # Run again if PostgreSQL failed it to break a deadlock (with the nightly rebuild):
        # rolled back whole, so a second attempt stores the answers once.
        answered = rerun_when_deadlocked(submit_once)
        if answered is not None:
            return answered
    except services.JourneyError as error:
        logger.warning("Invitation %s: submission refused", invitation.pk)
        return _render_check(request, invitation, token, str(error))
    except IntegrityError:
        # Stored already (the one-to-one constraint): the answers are in, as the patient wants.
        logger.info("Invitation %s: submitted twice at once", invitation.pk)
    return redirect("patient:done", token)


# ---------------------------------------------------------------------------------------------
# Done


def _next_questionnaire(invitation):
    return (
        Invitation.objects.filter(
            episode_id=invitation.episode_id,
            status__in=Invitation.OUTSTANDING,
            due_on__gt=invitation.due_on,
        )
        .order_by("opens_on")
        .values_list("opens_on", flat=True)
        .first()
    )


@patient_page
def done(request, token: str):
    invitation, refusal = _gate(request, token, completed=True)
    if refusal is not None:
        return refusal
    episode = invitation.episode
    with _override(invitation):
        return render(
            request,
            "patient/done.html",
            {
                "next_on": _next_questionnaire(invitation),
                "history": guidance.score_history(episode),
                "chart_key": guidance.chart_key(),
                "guidance": guidance.guidance_template(episode.pathway.condition.code).render(),
            },
        )


# ---------------------------------------------------------------------------------------------
# Addresses that match nothing (proms.urls.handler404)


def _is_patient_path(request) -> bool:
    return request.path.startswith(reverse("patient:start", args=["x"])[:-2])


def not_found(request, exception=None):
    """Under ``/q/`` a broken address is a broken link: the patient gets the link page.

    Anything else gets the site's 404 page (``templates/404.html``). The patient page is not
    logged with its path, like every patient page.
    """
    if _is_patient_path(request):
        return patient_page(link_problem)(request)
    return page_not_found(request, exception)


# ---------------------------------------------------------------------------------------------
# CSRF failures (settings.CSRF_FAILURE_VIEW)


@patient_page
def csrf_failure(request, reason: str = ""):
    """A friendly page instead of Django's technical 403 when a form's token is missing or old."""
    logger.info("CSRF failure: %s", reason)  # never the path: it can hold a patient's link
    base = "patient/base_patient.html" if _is_patient_path(request) else "base.html"
    return render(request, "patient/csrf_failure.html", {"base_template": base}, status=403)
