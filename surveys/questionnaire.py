"""Questionnaire pages built from the instrument definitions: the page plan, the HTML, the parser.

Shared by the patient pages (``surveys/views_patient.py``) and staff-assisted answer entry.

* :func:`page_plan` is pure: an invitation's instruments (common questionnaire first) cut into
  pages, a page per instrument or a question per page when the instrument's ``paging`` is
  ``"item"``; follow-up-only items are left out at baseline.
* :func:`render_items` writes a page's questions as NHS.UK markup with a hand-written loop over
  fragments cached per (instrument, version, language): Django's per-option widget templates cost
  about 13 ms for a 14-item page, this about 1 ms (``bench/patient_page.py``).
* :func:`parse_page` checks a page's POST against each item's allowed codes. A value no option
  offers (a tampered form) is refused politely and nothing of the page is kept.

Wording comes from :func:`outcomes.selectors.instrument_wording`, cached in-process and
invalidated when an ``InstrumentWording`` row changes (a signal bumps a version number in the
shared cache, so every process notices), so a page needs no wording query.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from html import escape

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from outcomes.loading import catalogue
from outcomes.models import InstrumentWording
from outcomes.selectors import instrument_wording, instrument_wording_overlay
from outcomes.specs import InstrumentSpec, Item
from surveys.validators import typed_number

COMMON_QUESTIONNAIRE = "mskt-core"
DEFAULT_LANGUAGE = "en"
# Integer scales up to this many points are radios (0-10 NRS); longer ones (0-100 EQ VAS) are a
# number box, which is quicker on a phone than a hundred radios.
MAX_SCALE_RADIOS = 11
# Form fields that are not answers.
NON_ANSWER_FIELDS = frozenset({"csrfmiddlewaretoken", "action", "return"})


# ---------------------------------------------------------------------------------------------
# The page plan


@dataclass(frozen=True)
class Page:
    """One questionnaire page: some items of one instrument."""

    number: int  # 1-based, as in the address
    instrument: InstrumentSpec
    items: tuple[Item, ...]
    part: int = 1  # which of the instrument's pages this is (question-per-page instruments)
    parts: int = 1
    first_number: int = 1  # the number of the page's first question within its questionnaire

    @property
    def code(self) -> str:
        return self.instrument.code

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(item.id for item in self.items)

    @property
    def numbered(self) -> bool:
        """Whether its questions carry numbers: several on the page, or one of several pages."""
        return len(self.items) > 1 or self.parts > 1

    def numbers(self) -> list[tuple[int, Item]]:
        """(question number within the questionnaire, item) for each question here."""
        return list(enumerate(self.items, start=self.first_number))

    def is_answered(self, draft: Mapping[str, Mapping[str, int | None]]) -> bool:
        """Whether the draft holds an answer (or a deliberate blank) for every item here."""
        saved = draft.get(self.code) or {}
        return all(
            item.id in saved and (saved[item.id] is not None or not item.required)
            for item in self.items
        )


def asked_items(spec: InstrumentSpec, follow_up: bool) -> tuple[Item, ...]:
    """The items asked at this timepoint: follow-up-only items are skipped at baseline."""
    return tuple(item for item in spec.items if follow_up or item.asked_at != "follow-up")


def ordered_instruments(instruments: Iterable[Sequence[str]]) -> list[tuple[str, str]]:
    """``[[code, version], ...]`` with the common questionnaire first, otherwise as listed."""
    pairs = [(code, version) for code, version in instruments]
    return sorted(pairs, key=lambda pair: pair[0] != COMMON_QUESTIONNAIRE)


@lru_cache(maxsize=256)
def _plan(instruments: tuple[tuple[str, str], ...], follow_up: bool) -> tuple[Page, ...]:
    definitions = catalogue()
    pages: list[Page] = []
    for code, version in ordered_instruments(instruments):
        spec = definitions.instrument(code, version)
        items = asked_items(spec, follow_up)
        if not items:
            continue
        groups = [(item,) for item in items] if spec.paging == "item" else [items]
        for part, group in enumerate(groups, start=1):
            first = part if spec.paging == "item" else 1
            pages.append(Page(len(pages) + 1, spec, group, part, len(groups), first))
    return tuple(pages)


def page_plan(invitation) -> tuple[Page, ...]:
    """The pages of an invitation's questionnaires, in the order the patient answers them."""
    return plan_for(invitation.instruments, invitation.follow_up)


def plan_for(instruments: Iterable[Sequence[str]], follow_up: bool) -> tuple[Page, ...]:
    return _plan(tuple((code, version) for code, version in instruments), bool(follow_up))


def instrument_pages(instruments: Iterable[Sequence[str]], follow_up: bool) -> tuple[Page, ...]:
    """A page per instrument whatever its paging: for staff entering a whole paper form."""
    definitions = catalogue()
    pages: list[Page] = []
    for code, version in ordered_instruments(instruments):
        items = asked_items(definitions.instrument(code, version), follow_up)
        if items:
            pages.append(Page(len(pages) + 1, definitions.instrument(code, version), items))
    return tuple(pages)


def first_unanswered(pages: Sequence[Page], draft: Mapping) -> Page | None:
    """Where the patient left off: the first page not fully answered (None: all answered)."""
    for page in pages:
        if not page.is_answered(draft):
            return page
    return None


# ---------------------------------------------------------------------------------------------
# Wording, cached in-process


@dataclass(frozen=True)
class Wording:
    """What a patient reads for one instrument in one language."""

    title: str
    instructions: str
    items: Mapping[str, ItemText]
    # A licensed instrument whose licensee's wording is not loaded: neutral labels stand in.
    placeholder: bool = False


@dataclass(frozen=True)
class ItemText:
    text: str
    options: tuple[tuple[int, str], ...]
    anchors: Mapping[str, str] = field(default_factory=dict)


WORDING_VERSION_KEY = "proms:instrument-wording-version"
_lock = threading.Lock()
_wordings: dict[tuple[str, str, str, int], Wording] = {}


def _wording_version() -> int:
    return cache.get(WORDING_VERSION_KEY, 0)


def wording_cache_clear() -> None:
    """Forget cached wording here and, through the shared cache, in every other process."""
    try:
        cache.incr(WORDING_VERSION_KEY)
    except ValueError:
        cache.set(WORDING_VERSION_KEY, 1, None)
    with _lock:
        _wordings.clear()
    _fragments.cache_clear()


@receiver(post_save, sender=InstrumentWording, dispatch_uid="questionnaire-wording-saved")
@receiver(post_delete, sender=InstrumentWording, dispatch_uid="questionnaire-wording-deleted")
def _wording_changed(**kwargs) -> None:
    wording_cache_clear()


def _load_wording(spec: InstrumentSpec, language: str) -> Wording:
    overlay = instrument_wording_overlay(spec, language)
    items = {
        wording.item.id: ItemText(wording.text, wording.options, dict(wording.anchors))
        for wording in instrument_wording(spec, language, overlay)
    }
    return Wording(
        title=overlay.get("title") or spec.title,
        instructions=overlay.get("instructions") or spec.instructions.get(language, ""),
        items=items,
        placeholder=spec.licence.wording_licensed and not overlay.get("items"),
    )


def wording(spec: InstrumentSpec, language: str = DEFAULT_LANGUAGE) -> Wording:
    """The instrument's wording in the language, English where that language has none."""
    language = (language or DEFAULT_LANGUAGE).split("-")[0].lower()
    key = (spec.code, spec.version, language, _wording_version())
    found = _wordings.get(key)
    if found is not None:
        return found
    english = _load_wording(spec, DEFAULT_LANGUAGE)
    if language == DEFAULT_LANGUAGE:
        found = english
    else:
        local = _load_wording(spec, language)
        items = {}
        for item in spec.items:
            own = local.items[item.id]
            # instrument_wording falls back to the neutral label; English reads better.
            has_own = own.text != item.label or item.text.get(language)
            items[item.id] = own if has_own else english.items[item.id]
        found = Wording(
            title=local.title,
            instructions=local.instructions or english.instructions,
            items=items,
            placeholder=english.placeholder,
        )
    with _lock:
        _wordings[key] = found
    return found


# ---------------------------------------------------------------------------------------------
# Rendering


def is_scale_box(item: Item) -> bool:
    """An integer item answered by typing a number (the 0-100 EQ VAS)."""
    return item.kind == "integer" and item.maximum - item.minimum + 1 > MAX_SCALE_RADIOS


def item_choices(item: Item, text: ItemText) -> tuple[tuple[int, str], ...]:
    """(code, words) for each radio of an item; integer scales show their end labels."""
    if item.kind == "choice":
        return text.options
    low, high = text.anchors.get("min", ""), text.anchors.get("max", "")
    choices = []
    for value in range(item.minimum, item.maximum + 1):
        label = str(value)
        if value == item.minimum and low:
            label = f"{value}: {low}"
        elif value == item.maximum and high:
            label = f"{value}: {high}"
        choices.append((value, label))
    return tuple(choices)


def field_id(item: Item) -> str:
    """The id of an item's first input: what the error summary links to."""
    if is_scale_box(item):
        return item.id
    first = item.options[0].code if item.kind == "choice" else item.minimum
    return f"{item.id}-{first}"


@dataclass(frozen=True)
class _ItemFragments:
    """Pre-escaped HTML pieces of one item; only the answer and the error are filled per page."""

    item: Item
    legend: str  # escaped question text
    hint: str  # escaped hint (anchors for a number box), may be ""
    options: tuple[tuple[str, str, str], ...]  # (value, before " checked", after)


@lru_cache(maxsize=512)
def _fragments(
    code: str, version: str, language: str, wording_version: int, interface_language: str
):
    # ``interface_language`` (the active translation) is part of the key: the hints written
    # here are translated messages, and may differ from the wording's language (en-xa, cy-GB).
    spec = catalogue().instrument(code, version)
    words = wording(spec, language)
    fragments = {}
    for item in spec.items:
        text = words.items[item.id]
        name = escape(item.id)
        hint = ""
        options = []
        if is_scale_box(item):
            low, high = text.anchors.get("min", ""), text.anchors.get("max", "")
            hint = escape(
                _("Enter a number from %(min)s to %(max)s.")
                % {"min": item.minimum, "max": item.maximum}
            )
            if low and high:
                hint += " " + escape(
                    _("%(min)s means %(low)s, %(max)s means %(high)s.")
                    % {"min": item.minimum, "low": low, "max": item.maximum, "high": high}
                )
        else:
            for value, label in item_choices(item, text):
                input_id = f"{name}-{value}"
                before = (
                    f'<div class="nhsuk-radios__item"><input class="nhsuk-radios__input" '
                    f'id="{input_id}" name="{name}" type="radio" value="{value}"'
                )
                after = (
                    f'><label class="nhsuk-label nhsuk-radios__label" for="{input_id}">'
                    f"{escape(label)}</label></div>"
                )
                options.append((str(value), before, after))
        fragments[item.id] = _ItemFragments(item, escape(text.text), hint, tuple(options))
    return fragments


def render_items(
    page: Page,
    *,
    language: str = DEFAULT_LANGUAGE,
    values: Mapping[str, object] | None = None,
    errors: Mapping[str, str] | None = None,
) -> SafeString:
    """The HTML of a page's questions with the given answers ticked and errors shown.

    ``values`` maps item id to the code (or the text typed, for a number box); ``errors`` maps
    item id to a message for the person answering.
    """
    values = values or {}
    errors = errors or {}
    language = (language or DEFAULT_LANGUAGE).split("-")[0].lower()
    spec = page.instrument
    fragments = _fragments(
        spec.code, spec.version, language, _wording_version(), get_language() or ""
    )
    one_question = len(page.items) == 1
    legend_class = "nhsuk-fieldset__legend--l" if one_question else "nhsuk-fieldset__legend--m"
    error_prefix = escape(_("Error:"))
    # Visible numbers on a page of several questions, so the error summary's "Question 8" can be
    # found; a question-per-page page says "Question 8 of 21" in its heading instead.
    number_words = _("Question %(number)s") if len(page.items) > 1 else ""
    out: list[str] = []
    for number, item in page.numbers():
        piece = fragments[item.id]
        number_html = (
            f'<span class="proms-question-number">{escape(number_words % {"number": number})}'
            "</span> "
            if number_words
            else ""
        )
        name = escape(item.id)
        error = errors.get(item.id)
        value = values.get(item.id)
        chosen = "" if value is None else str(value)
        group = "nhsuk-form-group nhsuk-form-group--error" if error else "nhsuk-form-group"
        hint_id = f"{name}-hint"
        error_html = ""
        described = []
        if piece.hint:
            described.append(hint_id)
        if error:
            described.append(f"{name}-error")
            error_html = (
                f'<span class="nhsuk-error-message" id="{name}-error">'
                f'<span class="nhsuk-u-visually-hidden">{error_prefix}</span> '
                f"{escape(error)}</span>"
            )
        aria = f' aria-describedby="{" ".join(described)}"' if described else ""
        if is_scale_box(item):
            input_class = "nhsuk-input nhsuk-input--width-3"
            if error:
                input_class += " nhsuk-input--error"
            out.append(
                f'<div class="{group}"><fieldset class="nhsuk-fieldset"{aria}>'
                f'<legend class="nhsuk-fieldset__legend {legend_class}" id="{name}-legend">'
                f"{number_html}"
                f'<span class="nhsuk-fieldset__heading">{piece.legend}</span></legend>'
                f'<div class="nhsuk-hint" id="{hint_id}">{piece.hint}</div>{error_html}'
                f'<label class="nhsuk-label" for="{name}">{escape(_("Your answer"))}</label>'
                f'<input class="{input_class}" id="{name}" name="{name}" type="text" '
                f'inputmode="numeric" autocomplete="off" maxlength="3" '
                f'value="{escape(chosen)}"></fieldset></div>'
            )
            continue
        radios_class = "nhsuk-radios nhsuk-radios--scale" if item.kind == "integer" else ""
        out.append(
            f'<div class="{group}"><fieldset class="nhsuk-fieldset"{aria}>'
            f'<legend class="nhsuk-fieldset__legend {legend_class}" id="{name}-legend">'
            f"{number_html}"
            f'<span class="nhsuk-fieldset__heading">{piece.legend}</span></legend>'
            f'{error_html}<div class="{radios_class or "nhsuk-radios"}">'
        )
        for option_value, before, after in piece.options:
            out.append(before)
            if option_value == chosen:
                out.append(" checked")
            out.append(after)
        out.append("</div></fieldset></div>")
    return mark_safe("".join(out))  # noqa: S308 - every piece of text above is escaped


def answer_words(page_or_spec, item: Item, value, language: str = DEFAULT_LANGUAGE) -> str:
    """The words of a stored answer, for the check page."""
    spec = page_or_spec.instrument if isinstance(page_or_spec, Page) else page_or_spec
    if value is None:
        return _("Not answered")
    if item.kind == "integer":
        return str(value)
    for code, text in wording(spec, language).items[item.id].options:
        if code == value:
            return text
    return str(value)


# ---------------------------------------------------------------------------------------------
# Parsing a page's POST


@dataclass(frozen=True)
class PageAnswers:
    """A page's answers (item id -> code or None) and any errors (item id -> message).

    ``tampered`` says the form held something our page never offered; then nothing is saved.
    ``raw`` keeps what was sent, to show it again beside the errors.
    """

    values: dict[str, int | None]
    errors: dict[str, str]
    raw: dict[str, str]
    tampered: bool = False

    @property
    def is_valid(self) -> bool:
        return not self.errors and not self.tampered


def parse_page(
    page: Page,
    data: Mapping[str, str],
    *,
    require_answers: bool = True,
    extra_fields: Iterable[str] = (),
) -> PageAnswers:
    """Check a page's POST: required answers present, every value one the item allows.

    ``require_answers=False`` lets required items stay blank (a paper form with gaps, entered
    by staff; scoring then applies each instrument's missing-item rules). ``extra_fields`` names
    other fields the caller's form carries, which are then not taken for tampering.
    """
    items = {item.id: item for item in page.items}
    allowed = NON_ANSWER_FIELDS | frozenset(extra_fields)
    tampered = any(key not in items and key not in allowed for key in data)
    values: dict[str, int | None] = {}
    errors: dict[str, str] = {}
    raw: dict[str, str] = {}
    for item in page.items:
        sent = data.get(item.id, "")
        sent = sent.strip() if isinstance(sent, str) else ""
        raw[item.id] = sent
        if sent == "":
            values[item.id] = None
            if item.required and require_answers:
                errors[item.id] = (
                    _("Enter a number from %(min)s to %(max)s")
                    % {"min": item.minimum, "max": item.maximum}
                    if is_scale_box(item)
                    else _("Select an answer")
                )
            continue
        code = typed_number(sent)  # digits of any script; nothing else (surveys/validators.py)
        if code is None or code not in item.allowed_codes():
            if is_scale_box(item):
                # Typed by hand, so a slip rather than tampering.
                errors[item.id] = _("Enter a whole number from %(min)s to %(max)s") % {
                    "min": item.minimum,
                    "max": item.maximum,
                }
            else:
                tampered = True
                errors[item.id] = _("Select one of the answers shown")
            values[item.id] = None
            continue
        values[item.id] = code
    if tampered and not errors:
        first = page.items[0]
        errors[first.id] = _("Something went wrong with this page. Check your answers.")
    return PageAnswers(values, errors, raw, tampered)


def error_summary(page: Page, errors: Mapping[str, str]) -> list[tuple[str, str]]:
    """(anchor id, message) for the error summary, in the order the questions appear.

    Each summary link names its question ("Question 3: Select an answer"), so a list of
    several errors still says where each one is (WCAG 2.4.4, NHS.UK error summary guidance).
    """
    return [
        (
            field_id(item),
            _("Question %(number)s: %(message)s") % {"number": number, "message": errors[item.id]}
            if page.numbered
            else errors[item.id],
        )
        for number, item in page.numbers()
        if item.id in errors
    ]
