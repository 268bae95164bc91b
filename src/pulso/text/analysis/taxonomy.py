"""The CX topic taxonomy: two levels, names in Spanish and English, example sentences in either language.

A taxonomy is plain data (JSON) that a CX manager can edit. Comments are assigned to *leaf* topics (children, or
parents without children); a parent groups its children for reports.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

OTHER = "other"
_KEY = re.compile(r"^[a-z0-9][a-z0-9_.\-]{0,63}$")


class TaxonomyError(ValueError):
    """A taxonomy that cannot be used; the message names the topic and the field."""


@dataclass(frozen=True)
class Topic:
    """One topic: its key, its parent's key (None for a top-level topic), names and examples."""

    key: str
    parent: str | None
    name_es: str
    name_en: str
    examples: tuple[str, ...]
    keywords: tuple[str, ...] = ()

    def name(self, language: str) -> str:
        """The name in `language` ("es" or "en"; anything else gets English)."""
        return self.name_es if language == "es" else self.name_en


@dataclass(frozen=True)
class Taxonomy:
    """An ordered, validated set of topics of at most two levels."""

    topics: tuple[Topic, ...]
    version: str
    _by_key: dict[str, Topic] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        _validate(self.topics, self.version)
        object.__setattr__(self, "_by_key", {t.key: t for t in self.topics})

    def get(self, key: str) -> Topic:
        """The topic with `key` (KeyError if absent)."""
        return self._by_key[key]

    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    def parents(self) -> tuple[Topic, ...]:
        """The top-level topics, in order."""
        return tuple(t for t in self.topics if t.parent is None)

    def children(self, parent: str) -> tuple[Topic, ...]:
        """The children of `parent`, in order."""
        return tuple(t for t in self.topics if t.parent == parent)

    def leaves(self) -> tuple[Topic, ...]:
        """The topics comments are assigned to: children, and parents that have none."""
        with_children = {t.parent for t in self.topics if t.parent is not None}
        return tuple(t for t in self.topics if t.key not in with_children)

    def with_topic(self, topic: Topic, version: str | None = None) -> Taxonomy:
        """A new taxonomy with `topic` added, or replacing the topic of the same key."""
        if topic.key in self._by_key:
            topics = tuple(topic if t.key == topic.key else t for t in self.topics)
        else:
            topics = (*self.topics, topic)
        return Taxonomy(topics=topics, version=version or f"{self.version}+{topic.key}")


def _validate(topics: tuple[Topic, ...], version: str) -> None:
    if not version.strip():
        raise TaxonomyError("taxonomy: 'version' is empty")
    if not topics:
        raise TaxonomyError("taxonomy: 'topics' is empty")
    keys: set[str] = set()
    for topic in topics:
        where = f"topic {topic.key!r}"
        if not _KEY.match(topic.key):
            raise TaxonomyError(f"{where}: 'key' must be 1-64 lower-case letters, digits, '.', '_' or '-'")
        if topic.key == OTHER:
            raise TaxonomyError(f"{where}: 'key' {OTHER!r} is reserved for comments no topic fits")
        if topic.key in keys:
            raise TaxonomyError(f"{where}: 'key' is used twice")
        keys.add(topic.key)
        for name_field in ("name_es", "name_en"):
            if not getattr(topic, name_field).strip():
                raise TaxonomyError(f"{where}: {name_field!r} is empty")
        for list_field in ("examples", "keywords"):
            values = getattr(topic, list_field)
            if any(not isinstance(v, str) or not v.strip() for v in values):
                raise TaxonomyError(f"{where}: {list_field!r} holds an empty or non-text entry")
    by_key = {t.key: t for t in topics}
    for topic in topics:
        where = f"topic {topic.key!r}"
        if topic.parent is None:
            continue
        if topic.parent not in by_key:
            raise TaxonomyError(f"{where}: 'parent' {topic.parent!r} is not a topic of this taxonomy")
        if by_key[topic.parent].parent is not None:
            raise TaxonomyError(f"{where}: 'parent' {topic.parent!r} is itself a child (two levels at most)")
    with_children = {t.parent for t in topics if t.parent is not None}
    for topic in topics:
        if topic.key not in with_children and not topic.examples and not topic.keywords:
            raise TaxonomyError(f"topic {topic.key!r}: 'examples' is empty (a topic needs examples or keywords)")


def _text_list(raw: Any, where: str, name: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
        raise TaxonomyError(f"{where}: {name!r} must be a list of texts")
    return tuple(v.strip() for v in raw)


def _text(raw: Mapping[str, Any], name: str, where: str) -> str:
    value = raw.get(name)
    if not isinstance(value, str) or not value.strip():
        raise TaxonomyError(f"{where}: {name!r} is missing or empty")
    return value.strip()


def taxonomy_from_dict(data: Mapping[str, Any]) -> Taxonomy:
    """A taxonomy from its JSON form: {"version": ..., "topics": [{"key", "parent", "name_es", ...}]}."""
    if not isinstance(data, Mapping):
        raise TaxonomyError("taxonomy: expected an object with 'version' and 'topics'")
    version = data.get("version")
    if not isinstance(version, str):
        raise TaxonomyError("taxonomy: 'version' must be a text")
    raw_topics = data.get("topics")
    if not isinstance(raw_topics, list):
        raise TaxonomyError("taxonomy: 'topics' must be a list")
    topics = []
    for index, raw in enumerate(raw_topics):
        if not isinstance(raw, Mapping):
            raise TaxonomyError(f"topic #{index + 1}: expected an object")
        key = raw.get("key")
        where = f"topic {key!r}" if isinstance(key, str) else f"topic #{index + 1}"
        if not isinstance(key, str):
            raise TaxonomyError(f"{where}: 'key' is missing")
        parent = raw.get("parent")
        if parent is not None and not isinstance(parent, str):
            raise TaxonomyError(f"{where}: 'parent' must be a topic key or null")
        topics.append(
            Topic(
                key=key.strip(),
                parent=parent.strip() if parent else None,
                name_es=_text(raw, "name_es", where),
                name_en=_text(raw, "name_en", where),
                examples=_text_list(raw.get("examples"), where, "examples"),
                keywords=_text_list(raw.get("keywords"), where, "keywords"),
            )
        )
    return Taxonomy(topics=tuple(topics), version=version.strip())


def taxonomy_to_dict(taxonomy: Taxonomy) -> dict[str, Any]:
    """The JSON form of a taxonomy (what taxonomy_from_dict reads)."""
    return {
        "version": taxonomy.version,
        "topics": [
            {
                "key": t.key,
                "parent": t.parent,
                "name_es": t.name_es,
                "name_en": t.name_en,
                "examples": list(t.examples),
                "keywords": list(t.keywords),
            }
            for t in taxonomy.topics
        ],
    }


def load_seed_taxonomy(filename: str) -> Taxonomy:
    """A taxonomy shipped in this package's seed/ folder."""
    text = resources.files("pulso.text.analysis.seed").joinpath(filename).read_text(encoding="utf-8")
    return taxonomy_from_dict(json.loads(text))


def default_taxonomy() -> Taxonomy:
    """The bilingual CX taxonomy shipped with Pulso (retail, e-commerce, banking, telecom, travel, utilities...)."""
    return load_seed_taxonomy("taxonomy.json")
