"""What a search box's text means: words matched as prefixes, or one phone number.

Pure functions, no database: ``Terms`` renders itself for SQLite FTS5 and for PostgreSQL's
``to_tsquery``, so both backends match the same words the same way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

import phonenumbers

from opportune.capture.keys import phone_key

MAX_LENGTH = 200
MAX_WORDS = 8
MIN_PREFIX = 2  # a one-letter prefix would walk most of the index: such a word matches whole
_WORD = re.compile(r"[^\W_]+")  # what both indexes' tokenizers keep: letters and digits
_RUNS = re.compile(r"\d+|[^\W\d_]+")  # a word's runs of digits and of other letters
_PHONE_LIKE = re.compile(r"^\+?[\d\s().\-/]+$")
_MIN_PHONE_DIGITS = 10


@dataclass(frozen=True)
class Terms:
    """Every word must match the start of a word of the record; or, for a phone number,
    one of its digit forms (E.164 without '+', the national number) must."""

    words: tuple[str, ...] = ()
    phone_forms: tuple[str, ...] = ()
    # PostgreSQL: a prefix's whole words, asked of GIN instead of the prefix (words.py).
    whole: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.words or self.phone_forms)

    @staticmethod
    def _prefix(word: str) -> bool:
        return len(word) >= MIN_PREFIX

    def fts5(self) -> str:
        """An FTS5 MATCH expression: ``"acm"* "smith"*`` or ``("14155550100"* OR ...)``."""
        if self.phone_forms:
            return "(" + " OR ".join(f'"{form}"*' for form in self.phone_forms) + ")"
        return " ".join(f'"{w}"' + ("*" if self._prefix(w) else "") for w in self.words)

    def tsquery(self) -> str:
        """A ``to_tsquery('simple', ...)`` text: ``'acm':* & 'smith':*``. A word mixing
        letters and digits is a phrase of its runs, ``garcia12`` ``('garcia' <-> '12':*)``,
        as the PostgreSQL document splits them (opportune/search/postgres.py says why)."""
        if self.phone_forms:
            return "(" + " | ".join(f"'{form}':*" for form in self.phone_forms) + ")"
        return " & ".join(self._phrase(w) for w in self.words)

    def prefix_of(self, word: str) -> str:
        """The run of the word ``tsquery`` asks as a prefix ('' if it asks it whole)."""
        *_, last = _RUNS.findall(word) or [word]
        # A one-character last run ('garcia1') matches whole: '1':* reads every number.
        return last if self._prefix(word) and self._prefix(last) else ""

    def expanded(self, whole: Mapping[str, tuple[str, ...]]) -> Terms:
        """These terms with prefixes given as their whole words (``('garcia' | 'garcian')``
        matches what ``'garcia':*`` does when they are all the indexed words it starts)."""
        return replace(self, whole=tuple(sorted(whole.items())))

    def _phrase(self, word: str) -> str:
        *runs, last = _RUNS.findall(word) or [word]
        prefix = self.prefix_of(word)
        whole = dict(self.whole).get(prefix) if prefix else None
        if whole is not None:
            # No indexed word starts it: the prefix as a whole word matches nothing either.
            tail = "(" + " | ".join(f"'{w}'" for w in whole or (last,)) + ")"
        else:
            tail = f"'{last}'" + (":*" if prefix else "")
        if not runs:
            return tail
        return "(" + " <-> ".join([*(f"'{run}'" for run in runs), tail]) + ")"


def parse(text: str) -> Terms:
    """The terms of a query; empty when nothing searchable is left (punctuation only)."""
    text = text.strip()[:MAX_LENGTH]
    digits = re.sub(r"\D", "", text)
    if _PHONE_LIKE.match(text) and len(digits) >= _MIN_PHONE_DIGITS:
        forms = _phone_forms(text, digits)
        if forms:
            return Terms(phone_forms=forms)
    return Terms(words=tuple(_WORD.findall(text.lower()))[:MAX_WORDS])


def _phone_forms(text: str, digits: str) -> tuple[str, ...]:
    """'+1 (415) 555-0100', '4155550100', '415-555-0100' all give ('14155550100',
    '4155550100'): the stored phone key's digits and the national number, which is what a
    phone stored without its country code (accounts keep no key) shows as digits."""
    key = phone_key(text)
    if not key:
        return (digits,)
    forms = [key.removeprefix("+")]
    national = str(phonenumbers.parse(key).national_number)
    if national not in forms:
        forms.append(national)
    return tuple(forms)
