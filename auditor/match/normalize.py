"""Name normalisation shared by the database compiler and the matchers.

Two forms:

* :func:`words` gives the tokens a phrase is compared on: Unicode-compatibility folded, format
  characters (zero-width joiners...) removed, camelCase split, case folded, look-alike Cyrillic
  and Greek letters folded to Latin, punctuation turned into spaces, and runs of single letters
  ("K a s p e r s k y") joined. Legal-form words are dropped by :class:`Normalizer`.
* :func:`squeeze` gives the prefilter form: the same folding with every non-alphanumeric
  character deleted. Every token of :func:`words` is a substring of :func:`squeeze` of the same
  text, so a prefilter on squeezed text never misses a phrase match.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

#: Lower-case Cyrillic and Greek letters that look like Latin ones (after case folding).
_CONFUSABLES = str.maketrans(
    {
        "а": "a",
        "в": "b",
        "е": "e",
        "ё": "e",
        "з": "3",
        "і": "i",
        "ї": "i",
        "ј": "j",
        "к": "k",
        "м": "m",
        "н": "h",
        "о": "o",
        "р": "p",
        "с": "c",
        "т": "t",
        "у": "y",
        "х": "x",
        "ѕ": "s",
        "ԁ": "d",
        "ԛ": "q",
        "ԝ": "w",
        "ү": "y",
        "һ": "h",
        "ӏ": "l",
        "ɡ": "g",
        "α": "a",
        "β": "b",
        "ε": "e",
        "ι": "i",
        "κ": "k",
        "ν": "v",
        "ο": "o",
        "ρ": "p",
        "τ": "t",
        "υ": "u",
        "χ": "x",
        "ı": "i",
        "ℓ": "l",
    }
)
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_NON_WORD = re.compile(r"[\W_]+")
_ASCII_DELETE = bytes(c for c in range(128) if not chr(c).isalnum() and c != 2)
_ASCII_LOWER = bytes.maketrans(bytes(range(65, 91)), bytes(range(97, 123)))


def squeeze_ascii(data: bytes) -> bytes:
    """:func:`squeeze` of ASCII bytes, in one C pass (lower-cased, non-alphanumerics dropped)."""
    return data.translate(_ASCII_LOWER, _ASCII_DELETE)


def fold(text: str, camel: bool = True) -> str:
    """Case-fold and remove look-alike tricks; keeps punctuation. ``camel`` splits
    camelCase words ("KasperskyAntiVirus" -> "Kaspersky Anti Virus")."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
        text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
        if camel:
            text = _CAMEL.sub(" ", text)
        return text.casefold().translate(_CONFUSABLES)
    return (_CAMEL.sub(" ", text) if camel else text).lower()


def is_compound(text: str) -> bool:
    """True for one word with inner capitals (SafeStream, KasperskyOS): a brand written as
    one token, matched only as that token, never as its camelCase parts."""
    return len(text.split()) == 1 and len(words(text)) > 1 and len(words(text, camel=False)) == 1


def words(text: str, camel: bool = True) -> list[str]:
    """The comparison tokens of ``text``."""
    tokens = _NON_WORD.sub(" ", fold(text, camel)).split()
    if len(tokens) < 3:
        return tokens
    joined: list[str] = []
    run: list[str] = []
    for token in tokens + [""]:
        if len(token) == 1:
            run.append(token)
            continue
        if len(run) >= 3:
            joined.append("".join(run))
        else:
            joined.extend(run)
        run = []
        if token:
            joined.append(token)
    return joined


def squeeze(text: str) -> str:
    """The prefilter form: folded, with every non-alphanumeric character removed.

    Character ``\\x02`` survives, so callers can use it as a record separator.
    """
    if text.isascii():
        return squeeze_ascii(text.encode("ascii")).decode("ascii")
    parts = text.split("\x02")
    return "\x02".join(_NON_WORD.sub("", fold(part)) for part in parts)


class Normalizer:
    """Turns text into the space-padded token string that phrases are searched in."""

    def __init__(self, legal_forms: Iterable[str]) -> None:
        self.legal_forms = frozenset(w for form in legal_forms for w in words(form))

    def tokens(self, text: str, camel: bool = True) -> list[str]:
        """Comparison tokens with legal-form words removed."""
        return [token for token in words(text, camel) if token not in self.legal_forms]

    def __call__(self, text: str) -> str:
        """``" tok1 tok2 ... "``: phrases match as substrings on word boundaries."""
        return " " + " ".join(self.tokens(text)) + " "
