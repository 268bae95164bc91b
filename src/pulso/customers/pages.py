"""Pages of this domain (being built under issue 3)."""

from __future__ import annotations

from pulso.web.deps import page_router

router = page_router()
