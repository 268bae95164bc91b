"""The committed seed corpus is exactly what scripts/text_seed/compose.py writes from its fragments."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "src" / "pulso" / "text" / "analysis" / "seed"


def test_the_seed_corpus_is_regenerated_from_its_fragments(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(ROOT / "scripts" / "text_seed" / "compose.py"), str(tmp_path)], check=True)
    for language in ("en", "es"):
        name = f"sentiment_seed_{language}.jsonl"
        assert (tmp_path / name).read_bytes() == (SEED / name).read_bytes(), name
