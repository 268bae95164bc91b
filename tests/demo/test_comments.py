"""Tests for the demo's compositional customer comments."""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pytest

from pulso.demo.comments import LANGUAGES, POLARITIES, TOPICS, compose_comment, compose_comments

# Words a CX analyst would look for, per topic (lowercase, without accents; matched as substrings).
TOPIC_KEYWORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "delivery_delay": {
        "es": (
            "llego",
            "llegar",
            "entrega",
            "envio",
            "pedido",
            "demor",
            "retraso",
            "atraso",
            "transport",
            "repartidor",
        ),
        "en": ("arriv", "deliver", "shipping", "order", "courier", "tracking", "late", "driver"),
    },
    "product_defect": {
        "es": (
            "fallad",
            "falla",
            "defect",
            "no enciende",
            "dejo de funcionar",
            "roto",
            "rota",
            "rompio",
            "no anda",
            "no funciona",
        ),
        "en": ("faulty", "fault", "defect", "turn on", "stopped working", "broken", "cracked", "failed"),
    },
    "checkout_payment": {
        "es": ("pago", "pagar", "pague", "cobraron", "compra", "tarjeta", "cuotas", "pasarela", "debitaron"),
        "en": ("pay", "checkout", "charged", "card", "purchase", "installment", "took"),
    },
    "agent_attitude": {
        "es": (
            "atend",
            "atencion",
            "trato",
            "trataron",
            "amab",
            "groser",
            "empatia",
            "personal",
            "asesor",
            "vendedor",
            "pacien",
            "burlo",
            "hablar",
            "cordial",
            "tono",
            "chica",
            "chat",
        ),
        "en": (
            "rude",
            "friendly",
            "staff",
            "agent",
            "service",
            "polite",
            "patient",
            "empathy",
            "interrupt",
            "attitude",
            "professional",
            "salesperson",
            "courteous",
            "kind",
        ),
    },
    "wait_time": {
        "es": (
            "espera",
            "esperar",
            "espere",
            "minutos",
            "fila",
            "tardaron",
            "instante",
            "enseguida",
            "al toque",
            "responden",
            "atiende",
            "tono",
            "rapid",
            "inmediata",
        ),
        "en": ("hold", "wait", "minute", "answer", "repl", "instant", "right away", "line", "ring", "quick"),
    },
    "billing": {
        "es": ("factur", "cobr", "cargo", "resumen"),
        "en": ("invoice", "bill", "charge"),
    },
    "returns_refunds": {
        "es": ("devol", "devuelv", "reembols", "cambio", "cambie", "reintegr"),
        "en": ("return", "refund", "exchange", "money back"),
    },
    "app_website": {
        "es": ("app", "web", "pagina", "aplicacion", "buscador", "sesion"),
        "en": ("app", "website", "site", "log in", "search"),
    },
    "price": {
        "es": ("precio", "caro", "barat", "oferta", "promo", "descuento", "ganga", "ahorr"),
        "en": ("price", "expensive", "cheap", "deal", "promo", "value", "discount", "saved", "overpriced"),
    },
    "product_quality": {
        "es": (
            "calidad",
            "material",
            "rinde",
            "rendimiento",
            "ruido",
            "funciona",
            "terminacion",
            "bateria",
            "producto",
            "endeble",
            "cumple",
        ),
        "en": (
            "quality",
            "material",
            "perform",
            "noisy",
            "works",
            "battery",
            "product",
            "efficient",
            "picture",
            "basics",
            "does the job",
        ),
    },
    "stock_availability": {
        "es": ("stock", "agotad", "disponib", "reposicion", "repus", "surtido", "modelo"),
        "en": ("stock", "sold out", "available", "availability", "restock", "range"),
    },
    "resolution": {
        "es": ("resol", "resuel", "soluc", "reclamo", "caso", "ticket", "respuesta", "llamar"),
        "en": ("solv", "solution", "resol", "complaint", "case", "ticket", "call", "fixed", "sorted"),
    },
}

ES_FUNCTION_WORDS = (
    " el ",
    " la ",
    " de ",
    " que ",
    " y ",
    " en ",
    " los ",
    " las ",
    " me ",
    " por ",
    " con ",
)
EN_FUNCTION_WORDS = (
    " the ",
    " and ",
    " of ",
    " to ",
    " my ",
    " it ",
    " was ",
    " is ",
    " for ",
    " with ",
    " they ",
)

PRODUCTS = ("Lavadora EcoWash 8 kg", "Smart TV Nova 55", "Celular Nova X5", "Freidora de aire AirCook")
AGENTS = ("Carla", "Martín", "Lucía", "Diego")


def normalize(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def sample(
    seed: int,
    n: int,
    *,
    topic: str | None = None,
    polarity: str | None = None,
    language: str | None = None,
    product: str | None = None,
    agent: str | None = None,
) -> list[str]:
    pick = np.random.default_rng(seed + 1_000)
    topics = [topic or TOPICS[i] for i in pick.integers(0, len(TOPICS), n)]
    polarities = [polarity or POLARITIES[i] for i in pick.integers(0, len(POLARITIES), n)]
    languages = [language or LANGUAGES[i] for i in pick.integers(0, len(LANGUAGES), n)]
    return compose_comments(np.random.default_rng(seed), topics, polarities, languages, [product] * n, [agent] * n)


def test_topics_are_the_agreed_keys() -> None:
    assert TOPICS == (
        "delivery_delay",
        "product_defect",
        "checkout_payment",
        "agent_attitude",
        "wait_time",
        "billing",
        "returns_refunds",
        "app_website",
        "price",
        "product_quality",
        "stock_availability",
        "resolution",
    )


def test_deterministic_for_a_seed() -> None:
    assert sample(42, 300) == sample(42, 300)
    assert sample(42, 300) != sample(43, 300)
    one = compose_comment(np.random.default_rng(5), topic="billing", polarity="negative", language="es")
    assert one == compose_comment(np.random.default_rng(5), topic="billing", polarity="negative", language="es")


def test_batch_equals_loop_of_single_comments() -> None:
    n = 200
    pick = np.random.default_rng(3)
    topics = [TOPICS[i] for i in pick.integers(0, len(TOPICS), n)]
    polarities = [POLARITIES[i] for i in pick.integers(0, len(POLARITIES), n)]
    languages = [LANGUAGES[i] for i in pick.integers(0, len(LANGUAGES), n)]
    products = [PRODUCTS[i % 4] if i % 3 else None for i in range(n)]
    agents = [AGENTS[i % 4] if i % 2 else None for i in range(n)]
    batch = compose_comments(np.random.default_rng(9), topics, polarities, languages, products, agents)
    rng = np.random.default_rng(9)
    loop = [
        compose_comment(rng, topic=t, polarity=p, language=lang, product=prod, agent=a)
        for t, p, lang, prod, a in zip(topics, polarities, languages, products, agents, strict=True)
    ]
    assert batch == loop


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("polarity", POLARITIES)
@pytest.mark.parametrize("topic", TOPICS)
def test_every_combination_yields_text(topic: str, polarity: str, language: str) -> None:
    comments = sample(11, 60, topic=topic, polarity=polarity, language=language)
    comments += sample(12, 60, topic=topic, polarity=polarity, language=language, product=PRODUCTS[0], agent="Carla")
    for text in comments:
        assert text.strip()
        assert len(text.split()) >= 1
        assert "{" not in text
        assert "}" not in text
        assert not re.search(r"[\x00-\x08]", text)
        assert "  " not in text


def test_length_varies_from_a_few_words_to_about_sixty() -> None:
    lengths = [len(text.split()) for text in sample(4, 3_000, product=PRODUCTS[1], agent="Lucía")]
    assert min(lengths) <= 3
    assert max(lengths) >= 40
    assert max(lengths) <= 90
    assert sum(1 for n in lengths if n <= 6) >= 0.08 * len(lengths)


def function_word_hits(text: str, words: tuple[str, ...]) -> int:
    padded = f" {normalize(text)} "
    padded = re.sub(r"[^\w]+", "  ", padded)
    return sum(padded.count(w) for w in words)


@pytest.mark.parametrize("language", LANGUAGES)
def test_language_sanity(language: str) -> None:
    comments = sample(21, 500, language=language, product=PRODUCTS[2], agent="Diego")
    es_hits = sum(function_word_hits(text, ES_FUNCTION_WORDS) for text in comments)
    en_hits = sum(function_word_hits(text, EN_FUNCTION_WORDS) for text in comments)
    if language == "es":
        assert es_hits > 5 * en_hits
    else:
        assert en_hits > 5 * es_hits
    # and per comment: the long ones lean the right way almost always
    long_ones = [text for text in comments if len(text.split()) >= 12]
    agree = 0
    for text in long_ones:
        es, en = function_word_hits(text, ES_FUNCTION_WORDS), function_word_hits(text, EN_FUNCTION_WORDS)
        agree += es > en if language == "es" else en > es
    assert agree >= 0.95 * len(long_ones)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("topic", TOPICS)
def test_topic_keywords(topic: str, language: str) -> None:
    keywords = TOPIC_KEYWORDS[topic][language]
    comments = sample(31, 400, topic=topic, language=language)
    hits = sum(any(k in normalize(text) for k in keywords) for text in comments)
    assert hits >= 0.8 * len(comments), (topic, language, hits)


def test_defect_comments_talk_about_defects() -> None:
    keywords = TOPIC_KEYWORDS["product_defect"]["es"]
    for polarity in POLARITIES:
        comments = sample(32, 400, topic="product_defect", polarity=polarity, language="es")
        hits = sum(any(k in normalize(text) for k in keywords) for text in comments)
        assert hits >= 0.8 * len(comments), (polarity, hits)


@pytest.mark.parametrize("language", LANGUAGES)
def test_product_and_agent_names_appear(language: str) -> None:
    for product, agent in zip(PRODUCTS, AGENTS, strict=True):
        comments = [normalize(text) for text in sample(41, 400, language=language, product=product, agent=agent)]
        with_product = sum(normalize(product) in text for text in comments)
        with_agent = sum(normalize(agent) in text for text in comments)
        assert with_product >= 0.4 * len(comments), (product, with_product)
        assert with_agent >= 0.4 * len(comments), (agent, with_agent)


def test_agent_attitude_names_the_agent_often() -> None:
    comments = sample(42, 400, topic="agent_attitude", language="es", agent="Valentina")
    assert sum("valentina" in normalize(text) for text in comments) >= 0.5 * len(comments)


def test_without_names_no_placeholders_leak() -> None:
    for text in sample(43, 2_000):
        assert "{" not in text
        assert not re.search(r"[\x00-\x08]", text)


def test_spanish_product_gets_an_article() -> None:
    comments = sample(44, 2_000, language="es", product="Lavadora EcoWash 8 kg")
    joined = "\n".join(comments).lower()
    assert "la lavadora ecowash 8 kg" in joined
    assert "el lavadora" not in joined
    assert not re.search(r"\bde el\b", joined)


def test_diversity() -> None:
    comments = sample(51, 5_000, product=None, agent=None)
    long_ones = [text for text in comments if len(text.split()) >= 12]
    assert len(long_ones) >= 1_000
    assert len(set(long_ones)) >= 0.9 * len(long_ones)
    assert len(set(comments)) >= 0.75 * len(comments)
    # no template dominates: the most common comment is rare
    most_common = max(comments.count(text) for text in set(comments))
    assert most_common <= 0.01 * len(comments)


def test_spanish_dominant_mix_reads_like_people() -> None:
    comments = sample(61, 3_000, language="es")
    assert any(text == text.lower() and any(c.isalpha() for c in text) for text in comments)
    assert any("!" in text for text in comments)
    accents = re.compile("[áéíóú]")
    stripped = [text for text in comments if "atencion" in text or "rapido" in text or "dia " in text]
    assert stripped
    assert any(accents.search(text) for text in comments)


@pytest.mark.parametrize(
    ("kwargs", "bad"),
    [
        ({"topic": "shipping", "polarity": "negative", "language": "es"}, "shipping"),
        ({"topic": "price", "polarity": "angry", "language": "es"}, "angry"),
        ({"topic": "price", "polarity": "positive", "language": "pt"}, "pt"),
    ],
)
def test_unknown_values_raise(kwargs: dict[str, str], bad: str) -> None:
    with pytest.raises(ValueError, match=bad):
        compose_comment(np.random.default_rng(0), **kwargs)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=bad):
        compose_comments(
            np.random.default_rng(0),
            [kwargs["topic"]],
            [kwargs["polarity"]],
            [kwargs["language"]],
            [None],
            [None],
        )


def test_mismatched_lengths_raise() -> None:
    with pytest.raises(ValueError, match="agents"):
        compose_comments(np.random.default_rng(0), ["price"], ["positive"], ["es"], [None], [])


def test_channel_adds_a_lead_in_sometimes() -> None:
    rng = np.random.default_rng(71)
    comments = [
        compose_comment(rng, topic="wait_time", polarity="negative", language="es", channel="whatsapp")
        for _ in range(300)
    ]
    assert sum("whatsapp" in normalize(text) for text in comments) >= 0.2 * len(comments)
    rng = np.random.default_rng(72)
    unknown = [
        compose_comment(rng, topic="price", polarity="neutral", language="en", channel="carrier pigeon")
        for _ in range(50)
    ]
    assert all(text.strip() for text in unknown)
