"""A pseudo-locale built at test time: every string that goes through Django's translation
machinery comes back with its letters accented ("Çöñţîñûé"), placeholders untouched.

A patient page rendered in it shows, in plain ASCII letters, only what escaped translation (or
data: instrument wording from the definitions, which has its own languages). ``untranslated``
lists those text nodes. Used by the pseudo-locale tests (``tests/surveys/patient`` and the
browser run in ``tests/system``).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable
from html.parser import HTMLParser

from django.utils.translation import trans_real

from outcomes.loading import catalogue

CODE = "en-xa"  # the conventional pseudo-locale code (a valid language tag for <html lang>)
NAME = "Pseudo-English"
_PLAIN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ACCENTED = "àƀçđéƒĝĥîĵķļɱñöþǫŕšţûṽŵẋýžÀƁÇĐÉƑĜĤÎĴĶĻṀÑÖÞǪŔŠŢÛṼŴẊÝŽ"
_TABLE = str.maketrans(_PLAIN, _ACCENTED)
# What must stay as it is: %(name)s and %s formats, {var}, HTML tags and entities, addresses.
_KEEP = re.compile(
    r"%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[sdifr%]|\{[^}]*\}|<[^>]+>|&#?\w+;|https?://\S+"
)


def pseudo(text: str) -> str:
    out, last = [], 0
    for match in _KEEP.finditer(text):
        out.append(text[last : match.start()].translate(_TABLE))
        out.append(match.group())
        last = match.end()
    out.append(text[last:].translate(_TABLE))
    return "".join(out)


class PseudoTranslation(trans_real.DjangoTranslation):
    """Django's translation object for ``en-xa`` with every message pseudo-translated."""

    def __init__(self):
        super().__init__(CODE)

    def gettext(self, message):
        if trans_real.CONTEXT_SEPARATOR in message:  # pgettext: translate the message part
            return pseudo(message.split(trans_real.CONTEXT_SEPARATOR, 1)[1])
        return pseudo(message)

    def ngettext(self, singular, plural, number):
        return pseudo(singular if number == 1 else plural)


@contextlib.contextmanager
def installed(settings):
    """Offer the pseudo-locale as a reviewed translation for the duration (``settings`` is
    pytest-django's fixture)."""
    settings.LANGUAGES = [*settings.LANGUAGES, (CODE, NAME)]
    previous = trans_real._translations.get(CODE)
    trans_real._translations[CODE] = PseudoTranslation()
    try:
        yield
    finally:
        if previous is None:
            trans_real._translations.pop(CODE, None)
        else:
            trans_real._translations[CODE] = previous


def instrument_words() -> set[str]:
    """Every text the definitions give patients (titles, questions, answers, anchors): data
    translated through the definitions' own languages, not the message catalogue."""
    words: set[str] = set()
    for spec in catalogue().instruments.values():
        words.update({spec.title, spec.short_title, *spec.instructions.values()})
        for item in spec.items:
            words.update({item.label, *item.text.values(), *item.anchors.values()})
            for option in item.options:
                words.update({option.label, *option.text.values()})
    return {" ".join(word.split()) for word in words if word}


class _TextNodes(HTMLParser):
    """The text a person meets: every text node but those of scripts and styles."""

    def __init__(self):
        super().__init__()
        self.hidden = 0
        self.nodes: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.hidden += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self.hidden:
            self.hidden -= 1

    def handle_data(self, data):
        text = " ".join(data.split())
        if text and not self.hidden:
            self.nodes.append(text)


def text_nodes(html: str) -> list[str]:
    parser = _TextNodes()
    parser.feed(html)
    return parser.nodes


def untranslated(nodes, data: Iterable[str] = ()) -> list[str]:
    """Text nodes left with plain ASCII letters once data (instrument wording from the
    definitions, and ``data``) is taken out of them: strings that escaped translation."""
    allowed = sorted(instrument_words() | set(data), key=len, reverse=True)
    escaped = []
    for node in nodes:
        rest = node
        for words in allowed:
            if words in rest:
                rest = rest.replace(words, " ")
        if re.search(r"[A-Za-z]", rest):
            escaped.append(node)
    return escaped
