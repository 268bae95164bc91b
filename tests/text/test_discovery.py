import numpy as np
import pytest

from pulso.text.analysis.discovery import c_tf_idf, discover, theme_labels, theme_to_topic
from pulso.text.analysis.taxonomy import default_taxonomy
from tests.text.test_topics import WordHashEmbedder

_GROUPS = {
    "parking": ["no parking near the store", "the parking lot was full", "parking fees are too high at the mall"],
    "music": ["the music in the shop was too loud", "loud music all day", "please turn the music down"],
    "wifi": ["la wifi del hotel no funciona", "wifi lentísima en la habitación", "sin wifi en todo el hotel"],
}


def _corpus(repeats: int = 8) -> tuple[list[str], list[int]]:
    rng = np.random.default_rng(3)
    texts, labels = [], []
    for label, (_, sentences) in enumerate(_GROUPS.items()):
        for r in range(repeats):
            for sentence in sentences:
                texts.append(f"{sentence} {rng.choice(['today', 'again', 'hoy', 'otra vez'])} {r}")
                labels.append(label)
    return texts, labels


def test_discover_finds_the_planted_themes_with_key_words_and_examples() -> None:
    texts, labels = _corpus()
    vectors = WordHashEmbedder().encode(texts)
    themes = discover(texts, vectors, min_size=5, max_themes=3, seed=0)
    assert len(themes) == 3
    assert sorted(t.size for t in themes) == [24, 24, 24]
    found = {next(w for w in ("parking", "music", "wifi") if w in t.key_words) for t in themes}
    assert found == {"parking", "music", "wifi"}
    for theme in themes:
        assert len({labels[i] for i in theme.members}) == 1
        assert len(theme.examples) == 3
        assert all(e in texts for e in theme.examples)
    labels_out = theme_labels(themes, len(texts))
    assert (labels_out >= 0).all()


def test_discover_is_deterministic_and_drops_small_clusters() -> None:
    texts, _ = _corpus()
    vectors = WordHashEmbedder().encode(texts)
    first = discover(texts, vectors, min_size=5, max_themes=3, seed=1)
    assert first == discover(texts, vectors, min_size=5, max_themes=3, seed=1)
    assert discover(texts, vectors, min_size=30, max_themes=3) == []
    assert discover(texts[:5], vectors[:5], min_size=5) == []
    with pytest.raises(ValueError, match="shape"):
        discover(texts, vectors[:3])


def test_c_tf_idf_prefers_words_of_one_cluster() -> None:
    texts = ["late parcel again", "late parcel", "rude staff again", "rude staff"]
    words = c_tf_idf(texts, [0, 0, 1, 1], top=3)
    assert "again" not in [w for w, _ in words[0]][:1]
    assert {w for w, _ in words[0]} & {"late", "parcel", "late parcel"}
    assert {w for w, _ in words[1]} & {"rude", "staff", "rude staff"}


def test_theme_to_topic_can_join_the_taxonomy() -> None:
    texts, _ = _corpus()
    [theme, *_] = discover(texts, WordHashEmbedder().encode(texts), min_size=5, max_themes=3)
    topic = theme_to_topic(theme, "facilities.wifi", "facilities", "Wifi", "Wi-fi")
    assert topic.examples == theme.examples
    assert topic.keywords == theme.key_words[:5]
    bigger = default_taxonomy().with_topic(topic)
    assert "facilities.wifi" in {t.key for t in bigger.children("facilities")}
