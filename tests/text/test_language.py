from pulso.text.analysis.language import detect, detect_many


def test_long_texts_by_fasttext() -> None:
    assert detect("The flight was delayed for three hours and nobody told us anything") == "en"
    assert detect("El vuelo se retrasó tres horas y nadie nos dijo nada") == "es"
    assert detect("Der Flug hatte drei Stunden Verspätung und niemand hat uns informiert") == "other"


def test_short_texts_lean_to_spanish_or_english() -> None:
    assert detect_many(["gracias!", "thanks a lot", "Igualmente", "muy amables"]) == ["es", "en", "es", "es"]


def test_no_words_is_other() -> None:
    assert detect_many(["", "…", "@united 😡😡", "12345"]) == ["other"] * 4


def test_handles_and_links_do_not_decide() -> None:
    assert detect("@AmericanAir @united https://t.co/x gracias por todo") == "es"
