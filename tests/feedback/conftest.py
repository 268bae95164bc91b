"""Fixtures of the import tests: a small catalog to resolve codes against, and file writers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pulso.accounts import service as accounts
from pulso.accounts.enums import Role
from pulso.catalog.models import Product
from pulso.feedback.enums import ImportKind
from pulso.feedback.schemas import ImportOptions
from pulso.runtime import Runtime
from tests.factories import make_org, make_team, make_touchpoint


@dataclass(frozen=True)
class Catalog:
    touchpoint_id: int
    agent_id: int
    team_id: int
    product_id: int


@pytest.fixture
def catalog(runtime: Runtime) -> Catalog:
    """Organisation in Mexico City; touchpoint TP-PAGO, agent AG-7 (ana@example.com), team Soporte, SKU-1."""
    with runtime.sessions() as session, session.begin():
        make_org(session, timezone="America/Mexico_City")
        team = make_team(session, "Soporte")
        team.code = "SOP"
        agent = accounts.create_user(
            session, email="ana@example.com", name="Ana", role=Role.AGENT, team_id=team.id, code="AG-7"
        )
        touchpoint = make_touchpoint(session, "TP-PAGO")
        product = Product(sku="SKU-1", name="Licuadora")
        session.add(product)
        session.flush()
        return Catalog(touchpoint.id, agent.id, team.id, product.id)


def write_text(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def options(kind: ImportKind = ImportKind.FEEDBACK, **values: object) -> ImportOptions:
    values.setdefault("sync_analytics", False)
    return ImportOptions(kind=kind, **values)  # type: ignore[arg-type]


def count(session: Session, model: type[object]) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)
