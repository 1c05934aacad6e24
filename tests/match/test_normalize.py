"""Name normalisation: case, punctuation, legal forms, scripts and look-alike tricks."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from auditor.match.normalize import Normalizer, squeeze, words

LEGAL = ["AO", "ZAO", "JSC", "Ltd", "Limited", "Inc", "GmbH", "ООО", "АО"]


def test_legal_forms_and_punctuation_do_not_matter() -> None:
    norm = Normalizer(LEGAL)
    expected = " kaspersky lab "
    for text in (
        "AO Kaspersky Lab",
        "Kaspersky Lab ZAO",
        "KASPERSKY LAB, INC.",
        "Kaspersky-Lab JSC",
        "kaspersky   lab ltd.",
    ):
        assert norm(text) == expected, text


def test_camel_case_is_split_but_joined_words_are_not() -> None:
    assert words("KasperskyAntiVirus") == ["kaspersky", "anti", "virus"]
    assert words("kasperskytip") == ["kasperskytip"]
    assert words("SafeStream", camel=False) == ["safestream"]


def test_lookalike_letters_and_invisible_characters_are_folded() -> None:
    cyrillic_a = "K\u0430spersky"  # Cyrillic а
    zero_width = "Kas\u200bpersky"
    fullwidth = "Ｋａｓｐｅｒｓｋｙ"
    for text in (cyrillic_a, zero_width, fullwidth):
        assert words(text) == ["kaspersky"], text


def test_spaced_out_letters_are_joined() -> None:
    assert words("K a s p e r s k y Lab") == ["kaspersky", "lab"]
    assert words("K.A.S.P.E.R.S.K.Y") == ["kaspersky"]


def test_cyrillic_name_normalises_consistently() -> None:
    norm = Normalizer(LEGAL)
    assert norm("АО «Лаборатория Касперского»") == norm("Лаборатория Касперского")


def test_near_misses_stay_different() -> None:
    for text in ("Kasper", "Kasperski", "kasperskytip"):
        assert "kaspersky" not in words(text)


_TEXT = st.text(alphabet=st.characters(blacklist_characters="\x02"), max_size=40)


@given(_TEXT, _TEXT)
def test_prefilter_never_misses_a_word(prefix: str, suffix: str) -> None:
    """Every comparison word of a text is a substring of its squeezed form (prefilter soundness)."""
    text = prefix + " Kaspersky Lab " + suffix
    squeezed = squeeze(text)
    for word in words(text):
        assert word in squeezed


@given(st.text(alphabet=st.characters(blacklist_characters="\x02"), max_size=60))
def test_words_and_squeeze_accept_any_text(text: str) -> None:
    squeezed = squeeze(text)
    for word in words(text):
        assert word in squeezed
