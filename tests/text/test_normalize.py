from pulso.text.analysis.normalize import clean, fold


def test_clean_drops_links_and_handles() -> None:
    assert clean("@united  my bag http://t.co/x is lost\n@AA") == "my bag is lost"


def test_fold_removes_accents_and_case() -> None:
    assert fold("Atención AÑO Über") == "atencion ano uber"
