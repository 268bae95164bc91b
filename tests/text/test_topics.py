import hashlib
from collections.abc import Sequence

import numpy as np
import pytest

from pulso.text.analysis.embed import DIMENSIONS, Vectors
from pulso.text.analysis.keyphrases import tokens
from pulso.text.analysis.taxonomy import Taxonomy, Topic, default_taxonomy, taxonomy_from_dict
from pulso.text.analysis.topics import OTHER, TopicModel, split_clauses


class WordHashEmbedder:
    """Bag of hashed words: texts sharing words are similar, which is all these tests need."""

    name = "word-hash"

    def __init__(self) -> None:
        self.calls = 0

    def encode(self, texts: Sequence[str]) -> Vectors:
        self.calls += 1
        out = np.zeros((len(texts), DIMENSIONS), np.float32)
        for row, text in enumerate(texts):
            for token in tokens(text):
                seed = int.from_bytes(hashlib.sha256(token[:5].encode()).digest()[:4], "little")
                out[row] += np.random.default_rng(seed).standard_normal(DIMENSIONS).astype(np.float32)
            norm = np.linalg.norm(out[row])
            out[row] = out[row] / norm if norm else out[row]
        return out


def _taxonomy() -> Taxonomy:
    return taxonomy_from_dict(
        {
            "version": "t",
            "topics": [
                {"key": "service", "parent": None, "name_es": "Servicio", "name_en": "Service"},
                {
                    "key": "service.staff",
                    "parent": "service",
                    "name_es": "Personal",
                    "name_en": "Staff",
                    "examples": ["friendly staff", "rude staff member", "personal amable"],
                    "keywords": ["staff", "personal", "atención"],
                },
                {
                    "key": "service.delivery",
                    "parent": "service",
                    "name_es": "Entrega",
                    "name_en": "Delivery",
                    "examples": ["late delivery parcel", "paquete tarde entrega"],
                    "keywords": ["delivery", "parcel", "paquete", "on time"],
                },
                {
                    "key": "price",
                    "parent": None,
                    "name_es": "Precio",
                    "name_en": "Price",
                    "examples": ["expensive price", "precio caro"],
                    "keywords": ["price", "precio", "caro"],
                },
            ],
        }
    )


def _model(**params: float) -> TopicModel:
    return TopicModel(_taxonomy(), WordHashEmbedder(), threshold=0.3, **params)  # type: ignore[arg-type]


def _fake_sentiment(texts: Sequence[str]) -> np.ndarray:
    def one(text: str) -> float:
        words = set(tokens(text))
        return 0.8 if words & {"friendly", "great", "amable"} else -0.6 if words & {"late", "tarde", "rude"} else 0.0

    return np.array([one(t) for t in texts])


def test_assigns_leaf_topics_with_matched_words_and_other() -> None:
    model = _model()
    hits = model.assign(["The delivery of my parcel was late", "Sunny weather in the park"])
    assert hits[0][0].key == "service.delivery"
    assert set(hits[0][0].terms) >= {"delivery", "parcel"}
    assert "The" not in hits[0][0].terms
    assert hits[1] == []  # "other"
    assert OTHER == "other"
    assert all(h.sentiment is None for h in hits[0])


def test_matching_is_accent_insensitive_and_stemmed() -> None:
    model = _model()
    [hit] = [h for h in model.assign(["La ATENCION del personal fue amabilísima"])[0] if h.key == "service.staff"]
    assert "ATENCION" in hit.terms
    assert "personal" in hit.terms
    assert model.keyword_matches(["prices were awful"], ["en"])[0, model.keys.index("price")] == 1


def test_precomputed_vectors_are_used_and_checked() -> None:
    embedder = WordHashEmbedder()
    model = TopicModel(_taxonomy(), embedder, threshold=0.3)
    texts = ["rude staff", "precio caro"]
    vectors = embedder.encode(texts)
    calls = embedder.calls
    assert [h[0].key for h in model.assign(texts, vectors)] == ["service.staff", "price"]
    assert embedder.calls == calls
    with pytest.raises(ValueError, match="shape"):
        model.assign(texts, vectors[:1])


def test_sentiment_per_topic_in_a_mixed_comment() -> None:
    model = _model(margin=1.0)
    [hits] = model.assign(["The staff were friendly, but the parcel delivery was late"], score_fn=_fake_sentiment)
    by_key = {h.key: h.sentiment for h in hits}
    assert by_key["service.staff"] == pytest.approx(0.8)
    assert by_key["service.delivery"] == pytest.approx(-0.6)


def test_clauses_naming_no_topic_are_settled_by_embedding_when_asked() -> None:
    model = _model(margin=1.0)
    text = "friendly staff member. Sadly late parcel delivery"
    [lexical] = model.assign([text], score_fn=_fake_sentiment)
    [embedded] = model.assign([text], score_fn=_fake_sentiment, embed_clauses=True)
    assert {h.key: h.sentiment for h in lexical} == {"service.staff": 0.8, "service.delivery": -0.6}
    assert {h.key: h.sentiment for h in embedded} == {"service.staff": 0.8, "service.delivery": -0.6}
    [mixed] = model.assign(["rude staff, parcel delivery. Nothing else to say"], score_fn=_fake_sentiment)
    # The last clause names no topic; the first names both, so both topics share its score.
    assert {h.key: h.sentiment for h in mixed} == {"service.staff": -0.6, "service.delivery": -0.6}


def test_score_fn_must_score_every_piece() -> None:
    with pytest.raises(ValueError, match="scores for"):
        _model().assign(["rude staff"], score_fn=lambda texts: np.zeros(len(texts) + 1))


def test_single_topic_gets_the_whole_comment_score() -> None:
    [hits] = _model().assign(["rude staff"], score_fn=_fake_sentiment)
    assert [h.key for h in hits] == ["service.staff"]
    assert hits[0].sentiment == pytest.approx(-0.6)


def test_split_clauses() -> None:
    assert split_clauses("Buen precio, pero la entrega tardó. Sin embargo volveré") == [
        "Buen precio",
        "la entrega tardó",
        "volveré",
    ]
    assert split_clauses("Great food however slow service!") == ["Great food", "slow service"]


def test_learn_is_pure_and_fixes_the_corrected_comments() -> None:
    model = _model()
    text = "my refund never came"
    assert model.assign([text])[0] == []
    learned = model.learn([text], [["price"]])
    assert [h.key for h in learned.assign([text])[0]] == ["price"]
    assert model.assign([text])[0] == []  # the original model is unchanged
    assert learned.version != model.version
    assert learned.corrections == 1
    # A similar comment now leans the same way.
    assert (
        learned.scores(["refund never came back"])[0, model.keys.index("price")]
        > model.scores(["refund never came back"])[0, model.keys.index("price")]
    )


def test_learn_removes_wrong_topics_and_later_corrections_win() -> None:
    model = _model()
    text = "friendly staff at the delivery desk"
    before = {h.key for h in model.assign([text])[0]}
    assert "service.delivery" in before
    learned = model.learn([text], [["service.staff"]])
    assert [h.key for h in learned.assign([text])[0]] == ["service.staff"]
    relearned = learned.learn([text], [[]])
    assert relearned.corrections == 1
    assert relearned.assign([text])[0] == []


def test_learn_rejects_unknown_and_parent_keys() -> None:
    model = _model()
    with pytest.raises(ValueError, match="'nope' is not a topic"):
        model.learn(["x"], [["nope"]])
    with pytest.raises(ValueError, match="'service' is a parent topic"):
        model.learn(["x"], [["service"]])


def test_bytes_round_trip_without_pickle() -> None:
    model = _model().learn(["my refund never came"], [["price"]])
    data = model.to_bytes()
    again = TopicModel.from_bytes(data, WordHashEmbedder())
    texts = ["my refund never came", "rude staff", "hello"]
    assert again.version == model.version
    np.testing.assert_allclose(again.scores(texts), model.scores(texts), rtol=1e-6)
    with pytest.raises(ValueError, match="not a topic model"):
        TopicModel.from_bytes(b"garbage")


def test_calibrate_shifts_scores_toward_common_topics_within_bounds() -> None:
    model = _model()
    texts = ["rude staff"] * 20 + ["precio caro"] * 2
    calibrated = model.calibrate(texts, max_shift=0.05)
    bias = calibrated.bias
    assert bias["service.staff"] > 0 > bias["price"]
    assert max(abs(b) for b in bias.values()) <= 0.05 + 1e-6


def test_with_taxonomy_keeps_corrections_of_kept_topics() -> None:
    model = _model().learn(["my refund never came"], [["price"]])
    bigger = model.with_taxonomy(
        _taxonomy().with_topic(Topic("refunds", None, "Reembolsos", "Refunds", ("refund money back",)))
    )
    assert bigger.corrections == 1
    assert "price" in [h.key for h in bigger.assign(["my refund never came"])[0]]


def test_default_taxonomy_with_the_real_embedder() -> None:
    model = TopicModel(default_taxonomy())
    texts = [
        "Me cobraron dos veces el mismo pedido",
        "The app keeps crashing",
        "Llevo una hora esperando al teléfono",
        "The weather is nice today",
    ]
    hits = model.assign(texts, languages=["es", "en", "es", "en"])
    assert hits[0][0].key == "billing.wrong_charge"
    assert hits[1][0].key == "digital.errors"
    assert hits[2][0].key == "waiting.phone"
    assert hits[3] == []
