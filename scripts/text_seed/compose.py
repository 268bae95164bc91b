"""Compose Pulso's seed sentiment corpus from the hand-written fragments (run once; output is committed)."""

from __future__ import annotations

import json
import random
import re
import sys
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import fragments_en
import fragments_es

TARGET = {"negative": 1100, "neutral": 850, "positive": 850}


def cap(s: str) -> str:
    for i, ch in enumerate(s):
        if ch.isalpha():
            return s[:i] + ch.upper() + s[i + 1 :]
    return s


def strip_accents(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c) or c == "\u0303")


def swap_typo(s: str, rng: random.Random) -> str:
    words = s.split(" ")
    idx = [i for i, w in enumerate(words) if len(w) > 4 and w.isalpha()]
    if not idx:
        return s
    i = rng.choice(idx)
    w = words[i]
    j = rng.randrange(1, len(w) - 2)
    words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    return " ".join(words)


EN_SLANG = [
    (r"\byou\b", "u"),
    (r"\bplease\b", "pls"),
    (r"\bthanks\b", "thx"),
    (r"\bbecause\b", "bc"),
    (r"\bare\b", "r"),
    (r"\bto be honest\b", "tbh"),
    (r"\bso\b", "sooo"),
    (r"\breally\b", "rly"),
]
ES_SLANG = [
    (r"\bque\b", "q"),
    (r"\bporque\b", "xq"),
    (r"\bpor qué\b", "xq"),
    (r"\bpor favor\b", "porfa"),
    (r"\btambién\b", "tmb"),
    (r"\bmuy\b", "muuuy"),
    (r"\bestá\b", "esta"),
    (r"\bmás\b", "mas"),
    (r"\bde verdad\b", "de verdá"),
    (r"\bgracias\b", "grax"),
]


def noisy(s: str, lang: str, rng: random.Random, label: str) -> str:
    if lang == "es":
        s = re.sub(r"\b([aA]|[dD]e) el\b", lambda m: m.group(1)[0] + ("l" if m.group(1)[0] in "aA" else "el"), s)
        if rng.random() < 0.3:
            s = strip_accents(s)
        if rng.random() < 0.5:
            s = s.replace("¿", "").replace("¡", "")
        table = ES_SLANG
    else:
        table = EN_SLANG
    if rng.random() < 0.25:
        pattern, repl = rng.choice(table)
        s = re.sub(pattern, repl, s, count=1, flags=re.IGNORECASE)
    if rng.random() < 0.12:
        s = swap_typo(s, rng)
    r = rng.random()
    if r < 0.18:
        s = s.lower()
    elif r < 0.22 and label == "negative":
        s = s.upper()
    if rng.random() < 0.15:
        s = s.rstrip(".")
    return s


def fill(template: str, dom: dict[str, list[str]], mod: object, rng: random.Random) -> str:
    values = {
        "thing": rng.choice(dom["thing"]),
        "staff": rng.choice(dom["staff"]),
        "company": rng.choice(mod.COMPANIES),  # type: ignore[attr-defined]
        "neg": rng.choice(dom["neg"]),
        "pos": rng.choice(dom["pos"]),
        "neu": rng.choice(dom["neu"]),
        "info": rng.choice(dom["info"]),
        "pos_s": rng.choice(dom["pos"]),
        "neg_s": rng.choice(dom["neg"]),
    }
    out = template.format(**values)
    # Sentence starts are capitalised after the slots are in.
    out = re.sub(r"(^|[.!?]\s+|[¿¡])([a-záéíóúñ])", lambda m: m.group(1) + m.group(2).upper(), out)
    return out


def short_item(mod: object, lang: str, label: str, rng: random.Random) -> tuple[str, str, str]:
    name = rng.choice(list(mod.DOMAINS))  # type: ignore[attr-defined]
    dom = mod.DOMAINS[name]  # type: ignore[attr-defined]
    r = rng.random()
    if rng.random() < 0.06:
        return rng.choice(mod.FREE[label]), name, "free"  # type: ignore[attr-defined]
    news = {"negative": mod.NEWS_NEG, "neutral": mod.NEWS_NEU, "positive": mod.NEWS_POS}[label]  # type: ignore[attr-defined]
    if rng.random() < (0.18 if label == "neutral" else 0.08):
        text = rng.choice(news).format(company=rng.choice([c for c in mod.COMPANIES if c[0].isupper()]))  # type: ignore[attr-defined]
        return (
            text
            + rng.choice(["", "", ".", " (via El Diario)" if lang == "es" else " (via Daily News)", " #news", "…"]),
            name,
            "news",
        )
    if label == "negative":
        if r < 0.12:
            return rng.choice(mod.SHORT_NEG), name, "short"  # type: ignore[attr-defined]
        if r < 0.27:
            t, kind = rng.choice(mod.NEG_IRONY), "irony"  # type: ignore[attr-defined]
        elif r < 0.4:
            t, kind = rng.choice(mod.MIXED_NEG), "mixed"  # type: ignore[attr-defined]
        else:
            t, kind = rng.choice(mod.NEG_TEMPLATES), "plain"  # type: ignore[attr-defined]
        closer = rng.choice(mod.NEG_CLOSERS)  # type: ignore[attr-defined]
    elif label == "positive":
        if r < 0.12:
            return rng.choice(mod.SHORT_POS), name, "short"  # type: ignore[attr-defined]
        if r < 0.22:
            t, kind = rng.choice(mod.MIXED_POS), "mixed"  # type: ignore[attr-defined]
        else:
            t, kind = rng.choice(mod.POS_TEMPLATES), "plain"  # type: ignore[attr-defined]
        closer = rng.choice(mod.POS_CLOSERS)  # type: ignore[attr-defined]
    else:
        if r < 0.12:
            return rng.choice(mod.SHORT_NEU), name, "short"  # type: ignore[attr-defined]
        t, kind = rng.choice(mod.NEU_TEMPLATES), "plain"  # type: ignore[attr-defined]
        closer = rng.choice(mod.NEU_CLOSERS)  # type: ignore[attr-defined]
    opener = rng.choice(mod.OPENERS) if label != "neutral" or rng.random() < 0.3 else ""  # type: ignore[attr-defined]
    text = fill(t, dom, mod, rng)
    if opener and not any(text.startswith(c) for c in mod.COMPANIES if c[0].isupper()):  # type: ignore[attr-defined]
        text = opener + re.sub(r"^([¿¡]?)([A-ZÁÉÍÓÚÑ])(?![A-Z])", lambda m: m.group(1) + m.group(2).lower(), text)
    elif opener:
        text = opener + text
    return text + closer, name, kind


def distinct(pool: list[str], dom: dict[str, list[str]], mod: object, rng: random.Random, n: int) -> list[str]:
    out: list[str] = []
    used: set[str] = set()
    for _ in range(n * 6):
        if len(out) == n:
            break
        t = fill(rng.choice(pool), dom, mod, rng)
        words = set(re.findall(r"\w{5,}", t.casefold()))
        if len(words & used) >= 2:
            continue
        used |= words
        out.append(t)
    return out


def long_item(mod: object, lang: str, label: str, rng: random.Random) -> tuple[str, str, str]:
    name = rng.choice(list(mod.DOMAINS))  # type: ignore[attr-defined]
    dom = mod.DOMAINS[name]  # type: ignore[attr-defined]
    parts: list[str] = []
    if rng.random() < 0.7:
        parts.append(rng.choice(mod.DETAIL))  # type: ignore[attr-defined]
    kind = "review"
    if label == "negative":
        pool = mod.NEG_TEMPLATES  # type: ignore[attr-defined]
        if rng.random() < 0.3:
            kind = "review-mixed"
            parts.append(fill(rng.choice(mod.POS_TEMPLATES), dom, mod, rng))  # type: ignore[attr-defined]
            parts.append("But" if lang == "en" else "Pero")
        parts += distinct(pool, dom, mod, rng, rng.randint(2, 3))
        parts.append(rng.choice(mod.NEG_VERDICT))  # type: ignore[attr-defined]
    elif label == "positive":
        pool = mod.POS_TEMPLATES  # type: ignore[attr-defined]
        if rng.random() < 0.2:
            kind = "review-mixed"
            parts.append(cap(rng.choice(dom["neg"])) + ".")
            parts.append("Even so," if lang == "en" else "Aun así,")
        parts += distinct(pool, dom, mod, rng, rng.randint(2, 3))
        parts.append(rng.choice(mod.POS_VERDICT))  # type: ignore[attr-defined]
    else:
        parts.append(cap(rng.choice(dom["info"])) + ".")
        parts += [fill(rng.choice(mod.NEU_TEMPLATES), dom, mod, rng) for _ in range(rng.randint(1, 2))]  # type: ignore[attr-defined]
        parts.append(rng.choice(mod.NEU_VERDICT))  # type: ignore[attr-defined]
    unique: list[str] = []
    for part in parts:
        if part not in unique:
            unique.append(part)
    text = " ".join(unique)
    text = re.sub(r"\b(But|Pero|Even so,|Aun así,) (\S)", lambda m: m.group(1) + " " + m.group(2).lower(), text)
    return text, name, kind


def compose(lang: str, seed: int) -> list[dict[str, str]]:
    mod = fragments_en if lang == "en" else fragments_es
    rng = random.Random(seed)  # noqa: S311 - a reproducible corpus, not a secret
    rows: list[dict[str, str]] = []
    seen: set[str] = set()
    for label, target in TARGET.items():
        n = 0
        attempts = 0
        while n < target and attempts < target * 20:
            attempts += 1
            is_long = rng.random() < 0.22
            text, dom, kind = (long_item if is_long else short_item)(mod, lang, label, rng)
            text = noisy(text, lang, rng, label)
            key = text.casefold()
            if key in seen:
                continue
            seen.add(key)
            rows.append({"text": text, "label": label, "domain": dom, "kind": kind})
            n += 1
    rng.shuffle(rows)
    return rows


if __name__ == "__main__":
    out = Path(sys.argv[1])
    for lang, seed in (("en", 11), ("es", 12)):
        rows = compose(lang, seed)
        with open(out / f"sentiment_seed_{lang}.jsonl", "w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(lang, len(rows))
