import pytest

from pulso.text.analysis.keyphrases import (
    content_tokens,
    distinctive_terms,
    key_phrases,
    key_phrases_many,
    stopwords,
)


def test_key_phrases_split_at_stop_words_and_punctuation() -> None:
    phrases = key_phrases("The delivery driver was extremely rude, and the parcel arrived damaged.", "en")
    assert "delivery driver" in phrases
    assert all(not p.startswith("the ") for p in phrases)
    assert "parcel arrived damaged" in phrases or "parcel" in " ".join(phrases)


def test_key_phrases_spanish_folded_and_limited() -> None:
    phrases = key_phrases("La atención al cliente fue pésima y el técnico nunca vino a casa", "es", top=2)
    assert len(phrases) == 2
    assert any("atención" in p for p in phrases)  # shown as written, lower case
    assert all("la" not in p.split() for p in phrases)


def test_key_phrases_edge_cases() -> None:
    assert key_phrases("", "en") == []
    assert key_phrases("the and of", "en") == []
    assert key_phrases("@someone https://x.co/abc", None) == []
    assert key_phrases("Atención PÉSIMA. atencion pesima", "es") == ["atención pésima"]
    assert key_phrases_many(["great food", "comida rica"], ["en", "es"]) == [["great food"], ["comida rica"]]
    with pytest.raises(ValueError, match="languages"):
        key_phrases_many(["a", "b"], ["en"])


def test_stopwords_from_yake_lists() -> None:
    assert {"the", "and", "don't", "dont"} <= stopwords("en")
    assert {"el", "que", "mas"} <= stopwords("es")  # folded: más → mas
    assert stopwords(None) == stopwords("es") | stopwords("en")
    assert content_tokens("El envío llegó 3 días tarde", "es") == ["envio", "tarde"]


def test_distinctive_terms_find_the_over_represented_words() -> None:
    group = ["the wifi never works", "no wifi in the room", "wifi was down", "slow wifi again"] * 3
    other = ["great breakfast", "the room was clean", "friendly staff at breakfast", "clean room again"] * 3
    terms = distinctive_terms(group, other, "en", top=5)
    assert terms[0][0] == "wifi"
    assert terms[0][1] > 2.0
    assert all(z > 0 for _, z in terms)
    assert "room" not in [t for t, _ in terms[:2]]
    assert distinctive_terms([], other, "en") == []
