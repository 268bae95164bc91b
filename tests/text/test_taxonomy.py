import json
from typing import Any

import pytest

from pulso.text.analysis.taxonomy import (
    OTHER,
    Taxonomy,
    TaxonomyError,
    Topic,
    default_taxonomy,
    load_seed_taxonomy,
    taxonomy_from_dict,
    taxonomy_to_dict,
)


def _data() -> dict[str, Any]:
    return {
        "version": "t1",
        "topics": [
            {"key": "delivery", "parent": None, "name_es": "Entrega", "name_en": "Delivery"},
            {
                "key": "delivery.late",
                "parent": "delivery",
                "name_es": "Retraso",
                "name_en": "Late delivery",
                "examples": ["Llegó tarde."],
                "keywords": ["tarde", "late"],
            },
            {"key": "price", "parent": None, "name_es": "Precio", "name_en": "Price", "examples": ["Muy caro."]},
        ],
    }


def test_default_taxonomy_has_two_levels_in_both_languages() -> None:
    taxonomy = default_taxonomy()
    parents = taxonomy.parents()
    leaves = taxonomy.leaves()
    assert 8 <= len(parents) <= 12
    assert 30 <= len(leaves) <= 45
    assert all(t.parent is not None for t in leaves)
    for topic in taxonomy.topics:
        assert topic.name_es
        assert topic.name_en
    for leaf in leaves:
        assert len(leaf.examples) >= 3, leaf.key
    assert {t.key for t in taxonomy.children("delivery")} >= {"delivery.delay", "delivery.lost_damaged"}


def test_round_trip_through_dict_and_json() -> None:
    taxonomy = default_taxonomy()
    again = taxonomy_from_dict(json.loads(json.dumps(taxonomy_to_dict(taxonomy))))
    assert again == taxonomy


def test_queries() -> None:
    taxonomy = taxonomy_from_dict(_data())
    assert taxonomy.get("delivery.late").keywords == ("tarde", "late")
    assert [t.key for t in taxonomy.parents()] == ["delivery", "price"]
    assert [t.key for t in taxonomy.children("delivery")] == ["delivery.late"]
    # A parent without children is assigned like a leaf.
    assert [t.key for t in taxonomy.leaves()] == ["delivery.late", "price"]
    assert "price" in taxonomy
    assert "nope" not in taxonomy
    assert taxonomy.get("price").name("es") == "Precio"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["topics"][1].update(parent="nowhere"), "topic 'delivery.late': 'parent' 'nowhere'"),
        (lambda d: d["topics"][2].update(key="delivery"), "topic 'delivery': 'key' is used twice"),
        (lambda d: d["topics"][2].update(name_en=" "), "topic 'price': 'name_en'"),
        (lambda d: d["topics"][2].update(examples=[]), "topic 'price': 'examples' is empty"),
        (lambda d: d["topics"][2].update(examples="Muy caro."), "topic 'price': 'examples' must be a list"),
        (lambda d: d["topics"][2].update(key=OTHER), "reserved"),
        (lambda d: d["topics"][2].update(key="Bad Key"), "'key' must be"),
        (lambda d: d["topics"][2].update(parent="delivery.late"), "is itself a child"),
        (lambda d: d.update(version=""), "'version' is empty"),
    ],
)
def test_validation_names_topic_and_field(change: Any, message: str) -> None:
    data = _data()
    change(data)
    with pytest.raises(TaxonomyError, match=message.replace("(", r"\(")):
        taxonomy_from_dict(data)


def test_with_topic_adds_or_replaces() -> None:
    taxonomy = taxonomy_from_dict(_data())
    new = Topic("price.fees", "price", "Comisiones", "Fees", ("Comisiones ocultas.",))
    bigger = taxonomy.with_topic(new)
    assert bigger.get("price.fees") == new
    assert bigger.version != taxonomy.version
    assert [t.key for t in bigger.leaves()] == ["delivery.late", "price.fees"]
    assert isinstance(bigger, Taxonomy)


def test_eval_taxonomy_is_one_topic_per_airline_reason() -> None:
    taxonomy = load_seed_taxonomy("eval_airline_taxonomy.json")
    assert len(taxonomy.leaves()) == 9
