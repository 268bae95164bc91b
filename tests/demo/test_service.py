"""Building the demo into a store (SQLite and PostgreSQL), and the `pulso demo` command."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import typer
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from pulso.accounts import service as accounts
from pulso.accounts.enums import Role
from pulso.accounts.models import Organization, Team, User
from pulso.catalog.models import Product
from pulso.customers.models import Customer
from pulso.demo import company, service
from pulso.demo.cli import demo
from pulso.demo.service import DemoSummary, build_demo, read_marker, store_is_empty, write_marker
from pulso.feedback.models import Feedback
from pulso.interactions.models import Interaction
from pulso.journeys.models import Journey, Stage, Touchpoint
from pulso.kit.errors import Conflict
from pulso.runtime import Runtime, set_runtime

NOW = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)
SIZE = 3_000


def _count(session: Session, model: type[object]) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def built(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> DemoSummary:
    monkeypatch.setattr(service, "IMPORT_PART", 1000)  # interactions and feedback go in several parts
    seen: dict[str, list[tuple[int, int]]] = {}
    summary = build_demo(
        runtime, size=SIZE, seed=11, now=NOW, progress=lambda step, d, t: seen.setdefault(step, []).append((d, t))
    )
    assert set(seen) >= {"generate", "organisation", "customers", "interactions", "feedback"}
    assert seen["feedback"][-1] == (SIZE, SIZE)
    assert [t for _, t in seen["interactions"]] == [round(SIZE * 1.2)] * len(seen["interactions"])
    return summary


def test_build_loads_every_row(runtime: Runtime, built: DemoSummary) -> None:
    assert built.rejected == 0
    assert (built.feedback, built.interactions, built.customers) == (SIZE, round(SIZE * 1.2), SIZE // 5)
    with runtime.sessions() as session:
        assert _count(session, Feedback) == SIZE
        assert _count(session, Interaction) == round(SIZE * 1.2)
        assert _count(session, Customer) == SIZE // 5
        assert _count(session, Product) == built.products
        linked = session.scalar(select(func.count()).where(Feedback.interaction_id.is_not(None)))
        assert linked is not None
        assert linked > SIZE * 0.4
        org = session.scalars(select(Organization)).one()
        assert org.name == company.ORG_NAME
        assert org.timezone == built.timezone
    assert runtime.analytics.counts()["feedback_facts"] == SIZE


def test_journey_structure(runtime: Runtime, built: DemoSummary) -> None:
    with runtime.sessions() as session:
        assert _count(session, Journey) == 1
        stages = session.scalars(select(Stage).order_by(Stage.position)).all()
        assert [s.name_en for s in stages] == [en for _, en in company.STAGES]
        touchpoints = session.scalars(select(Touchpoint)).all()
        assert 18 <= len(touchpoints) <= 24
        assert all(t.stage_id is not None and t.owner_team_id is not None and t.name_en for t in touchpoints)
        assert {s.id for s in stages} == {t.stage_id for t in touchpoints}
        truths = {t.code for t in touchpoints if t.is_moment_of_truth}
        assert {company.FRICTION_TOUCHPOINT, "TP-DELIVERY-HOME", "TP-PHONE-SUPPORT"} <= truths
        assert built.touchpoints == len(touchpoints)


def test_people_and_credentials(runtime: Runtime, built: DemoSummary) -> None:
    with runtime.sessions() as session:
        admin = session.scalars(select(User).where(User.email == company.ADMIN_EMAIL)).one()
        assert admin.role is Role.ADMIN
        assert accounts.verify_password(admin.password_hash, built.admin_password)
        assert _count(session, User) == built.users
        with_password = session.scalar(select(func.count()).where(User.password_hash.is_not(None)))
        assert with_password == 1
        agents = session.scalars(select(User).where(User.role == Role.AGENT)).all()
        assert 40 <= len(agents) <= 60
        assert all(a.code and a.team_id for a in agents)
        supervisors = session.scalars(select(User).where(User.role == Role.SUPERVISOR)).all()
        teams = {t.id: t for t in session.scalars(select(Team))}
        assert sorted(teams[s.team_id].name for s in supervisors if s.team_id) == sorted(company.SERVICE_TEAMS)
        parent = next(t for t in teams.values() if t.name == company.CX_DEPARTMENT)
        assert {t.name for t in teams.values() if t.parent_id == parent.id} == set(company.SERVICE_TEAMS)
        principal = accounts.authenticate_token(session, built.api_token, now=NOW)
        assert principal.user_id == admin.id


def test_the_demo_closed_the_loop_on_its_last_weeks(runtime: Runtime, built: DemoSummary) -> None:
    from datetime import timedelta

    from pulso.accounts.schemas import Principal
    from pulso.cases import service as cases
    from pulso.cases.enums import EscalationLevel
    from pulso.cases.models import Case
    from pulso.notifications.models import Notification

    assert built.cases > 0
    with runtime.sessions() as session, session.begin():
        rows = list(session.execute(select(Case)).scalars())
        assert len(rows) == built.cases
        assert len(cases.rules(session)) == 4
        # Every case was opened by a rule as its feedback arrived, within the replayed weeks.
        assert all(c.rule_id is not None and c.sla_policy_id is not None for c in rows)
        assert min(c.opened_at for c in rows) >= NOW - timedelta(days=22)
        assert {c.escalation for c in rows} >= {EscalationLevel.OWNER, EscalationLevel.MANAGER}
        assert any(c.first_contact_breached_at is not None for c in rows)
        report = cases.closed_loop(session, Principal(role=Role.CX_MANAGER), start=NOW - timedelta(days=30), end=NOW)
        assert report.opened == built.cases
        assert report.detractors_contacted.whole > 0
        assert 0.5 < (report.detractors_contacted.ratio or 0) < 1
        assert report.root_causes
        # The replay is history: it notified nobody.
        assert session.execute(select(Notification)).first() is None


def test_a_second_build_is_refused(runtime: Runtime, built: DemoSummary) -> None:
    assert not store_is_empty(runtime)
    with pytest.raises(Conflict):
        build_demo(runtime, size=SIZE, seed=11, now=NOW)


def test_marker_round_trip(tmp_path: Path) -> None:
    summary = DemoSummary(
        organization="Casa Nova", timezone="UTC", size=1000, seed=3, start=NOW.date(), end=NOW.date(),
        admin_email=company.ADMIN_EMAIL, admin_password="secret-pw", api_token="tok", teams=1, users=1,
        stages=5, touchpoints=20, products=40, customers=200, interactions=1200, feedback=1000, rejected=0,
        cases=0, seconds=1.0,
    )  # fmt: skip
    assert read_marker(tmp_path) is None
    write_marker(tmp_path, summary, now=NOW)
    marker = read_marker(tmp_path)
    assert marker is not None
    assert marker.same_as(1000, 3)
    assert not marker.same_as(1000, 4)
    assert "secret-pw" not in (tmp_path / "demo.json").read_text()


@pytest.fixture
def no_global_runtime() -> Iterator[None]:
    yield
    set_runtime(None)


@pytest.mark.usefixtures("no_global_runtime")
def test_the_command_builds_once_then_reuses(tmp_path: Path) -> None:
    app = typer.Typer()
    app.command()(demo)
    runner = CliRunner(env={"COLUMNS": "240"})
    args = ["--size", "500", "--seed", "2", "--no-serve", "--data-dir", str(tmp_path / "d")]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert company.ADMIN_EMAIL in first.output
    assert "/api/v1/docs" in first.output
    assert "pulso kpi nps --by touchpoint --grain month" in first.output
    assert (tmp_path / "d" / "demo.json").is_file()

    again = runner.invoke(app, args)
    assert again.exit_code == 0, again.output
    assert "--rebuild" in again.output  # the password was printed the first time

    other = runner.invoke(app, ["--size", "600", "--no-serve", "--data-dir", str(tmp_path / "d")])
    assert other.exit_code == 1
    assert "--rebuild" in other.output

    rebuilt = runner.invoke(app, [*args[:-2], "--data-dir", str(tmp_path / "d"), "--rebuild"])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "shown only once" in rebuilt.output
