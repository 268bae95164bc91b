"""Words of a comment: tokens, stop words, stems, key phrases per comment and distinctive terms per group.

Key phrases use a stop-word-split scorer (RAKE, Rose et al. 2010) rather than YAKE: on this machine YAKE 0.7
takes milliseconds per tweet (see docs/text-analytics.md), while the pipeline's budget for everything but the
embedding is well under one millisecond. Distinctive terms are log-odds ratios with an informative Dirichlet
prior (Monroe, Colaresi and Quinn 2008), reported as z-scores.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import cache, lru_cache
from importlib import resources

import snowballstemmer

from pulso.text.analysis.normalize import clean, fold

LANGUAGES = ("es", "en")
_STEMMERS = {"es": "spanish", "en": "english"}
# Word characters of any script, allowing inner apostrophes and hyphens (don't, e-mail, calidad-precio).
_WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")
# Phrase boundaries besides stop words: sentence and clause punctuation.
_BOUNDARY = re.compile(r"[.,;:!?¡¿()\[\]{}\"“”«»…/|\n]+")
# Chat and social-media filler that the stop-word lists miss.
_EXTRA_STOP = {
    "es": "q xq pq porq tb tmb ya vez veces hoy ayer dia dias ahi aqui asi pues vale gracias hola jaja jajaja",
    "en": "im ive id ill youre dont doesnt didnt cant wont isnt arent wasnt thats theres u ur pls plz thx thanks "
    "thank hi hello ok okay lol amp rt via yes yeah just get got still really even today yesterday",
}


@cache
def stopwords(language: str | None) -> frozenset[str]:
    """Folded stop words of `language` ("es", "en"; None or anything else: both), from YAKE's lists plus chat filler."""
    if language not in LANGUAGES:
        return stopwords("es") | stopwords("en")
    listing = resources.files("yake.core").joinpath(f"StopwordsList/stopwords_{language}.txt")
    words = {fold(w.strip()) for w in listing.read_text(encoding="utf-8").splitlines() if w.strip()}
    words.update(_EXTRA_STOP[language].split())
    # Apostrophe forms are listed with their apostrophe; tokens keep it, and the bare form is also common in tweets.
    words.update(w.replace("'", "") for w in list(words))
    return frozenset(words)


@cache
def _stemmer(language: str) -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer(_STEMMERS[language])


@lru_cache(maxsize=200_000)
def stem(word: str, language: str) -> str:
    """The Snowball stem of a folded word (cached: comment vocabularies repeat)."""
    return str(_stemmer(language).stemWord(word))


def stems(word: str, language: str | None) -> tuple[str, ...]:
    """The stems a word may have: one for a known language, the Spanish and English ones otherwise."""
    if language in LANGUAGES:
        return (stem(word, language),)
    return (stem(word, "es"), stem(word, "en"))


def words(text: str) -> list[str]:
    """The words of a text as written (for highlighting), links and @handles left out."""
    return _WORD.findall(clean(text))


def tokens(text: str) -> list[str]:
    """The folded words of a text (lower case, no accents)."""
    return _WORD.findall(_folded(text))


def _folded(text: str) -> str:
    return fold(clean(text)).replace("’", "'")


def content_tokens(text: str, language: str | None) -> list[str]:
    """Folded words that are not stop words, numbers or single letters."""
    stop = stopwords(language)
    return [t for t in tokens(text) if len(t) > 1 and t not in stop and not t.isdigit()]


@lru_cache(maxsize=200_000)
def _fold_token(token: str) -> str:
    return fold(token).replace("’", "'")


def _candidates(text: str, language: str | None, max_words: int) -> list[tuple[tuple[str, str], ...]]:
    """Runs of content words between stop words and punctuation, as (folded, lower-case as written) pairs."""
    stop = stopwords(language)
    phrases: list[tuple[tuple[str, str], ...]] = []
    for chunk in _BOUNDARY.split(clean(text)):
        run: list[tuple[str, str]] = []
        for token in _WORD.findall(chunk):
            folded = _fold_token(token)
            if folded in stop or len(folded) < 2 or folded.isdigit():
                if run:
                    phrases.append(tuple(run))
                run = []
            else:
                run.append((folded, token.lower()))
        if run:
            phrases.append(tuple(run))
    out: list[tuple[tuple[str, str], ...]] = []
    for phrase in phrases:
        # Long runs are cut into pieces of max_words: a 6-word run is rarely one phrase in a comment.
        out.extend(phrase[i : i + max_words] for i in range(0, len(phrase), max_words))
    return out


def key_phrases(text: str, language: str | None, top: int = 5, max_words: int = 3) -> list[str]:
    """The comment's `top` key phrases (lower case, accents kept), best first: RAKE over stop-word-split runs.

    Words are compared folded (atención = atencion); a phrase is shown as it is first written.
    """
    candidates = _candidates(text, language, max_words)
    if not candidates:
        return []
    frequency: Counter[str] = Counter()
    degree: Counter[str] = Counter()
    for phrase in candidates:
        for folded, _ in phrase:
            frequency[folded] += 1
            degree[folded] += len(phrase)
    scored: dict[str, float] = {}
    shown: dict[str, str] = {}
    first: dict[str, int] = {}
    for index, phrase in enumerate(candidates):
        key = " ".join(folded for folded, _ in phrase)
        if key in scored:
            continue
        # Degree/frequency favours words that co-occur in phrases; the length term breaks ties toward longer,
        # more specific words over short fillers the stop lists miss.
        scored[key] = sum(degree[f] / frequency[f] + min(len(f), 10) / 10 for f, _ in phrase)
        shown[key] = " ".join(written for _, written in phrase)
        first[key] = index
    ranked = sorted(scored, key=lambda p: (-scored[p], first[p]))
    return [shown[key] for key in ranked[:top]]


def key_phrases_many(
    texts: Sequence[str], languages: Sequence[str | None] | None = None, top: int = 5
) -> list[list[str]]:
    """key_phrases for each text (languages: one per text, or None when unknown)."""
    langs = languages if languages is not None else [None] * len(texts)
    if len(langs) != len(texts):
        raise ValueError(f"{len(texts)} texts but {len(langs)} languages")
    return [key_phrases(text, lang, top) for text, lang in zip(texts, langs, strict=True)]


def term_counts(texts: Iterable[str], language: str | None, bigrams: bool = True) -> Counter[str]:
    """Counts of content words (and of adjacent content-word pairs) over texts."""
    counts: Counter[str] = Counter()
    stop = stopwords(language)
    for text in texts:
        run: list[str] = []
        for token in tokens(text):
            if token in stop or len(token) < 2 or token.isdigit():
                run = []
                continue
            counts[token] += 1
            if bigrams and run:
                counts[f"{run[-1]} {token}"] += 1
            run.append(token)
    return counts


def distinctive_terms(
    group_texts: Sequence[str],
    other_texts: Sequence[str],
    language: str | None,
    top: int = 20,
    min_count: int = 3,
    prior_scale: float = 1.0,
) -> list[tuple[str, float]]:
    """Terms over-represented in group_texts against other_texts, as (term, z), largest z first.

    Log-odds ratio with an informative Dirichlet prior (Monroe et al. 2008, eq. 22): the prior of each term is its
    count in both groups together times `prior_scale`, which shrinks rare terms toward no difference.
    """
    group = term_counts(group_texts, language)
    other = term_counts(other_texts, language)
    n_group = sum(group.values())
    n_other = sum(other.values())
    if n_group == 0:
        return []
    prior = {term: prior_scale * (group[term] + other[term]) for term in set(group) | set(other)}
    alpha0 = sum(prior.values())
    results: list[tuple[str, float]] = []
    for term, count in group.items():
        if count < min_count:
            continue
        a = prior[term]
        y_i, y_j = count, other.get(term, 0)
        delta = math.log((y_i + a) / (n_group + alpha0 - y_i - a)) - math.log((y_j + a) / (n_other + alpha0 - y_j - a))
        variance = 1.0 / (y_i + a) + 1.0 / (y_j + a)
        results.append((term, delta / math.sqrt(variance)))
    results.sort(key=lambda item: (-item[1], item[0]))
    return [(term, z) for term, z in results[:top] if z > 0]
