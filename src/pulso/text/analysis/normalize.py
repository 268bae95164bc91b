"""Text clean-up shared by every analysis: what a model should and should not see."""

from __future__ import annotations

import re
import unicodedata

_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_MENTION = re.compile(r"(?<!\w)@\w+")
_SPACE = re.compile(r"\s+")


def clean(text: str) -> str:
    """The comment without links and @handles, in single spaces (what the models read)."""
    text = _URL.sub(" ", text)
    text = _MENTION.sub(" ", text)
    return _SPACE.sub(" ", text).strip()


def fold(text: str) -> str:
    """Lower case without accents (atención → atencion), for matching words across spellings."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))
