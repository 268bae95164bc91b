"""Who may open and change which page: the whole page matrix, every role, on SQLite and PostgreSQL.

Each page module has its own detailed tests; this one holds the line for all of them at once: every
page route is listed here, an anonymous visitor is sent to sign in, a role outside the list gets 403
(or 404 where the row itself is out of their scope), and a forbidden form changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pulso.accounts import service as accounts
from pulso.accounts.enums import Role
from pulso.accounts.models import ApiToken, Team, User
from pulso.accounts.schemas import Principal
from pulso.cases import service as cases
from pulso.cases.enums import Priority
from pulso.cases.schemas import RuleIn
from pulso.feedback.enums import ImportKind, ImportStatus
from pulso.feedback.models import ImportRun
from pulso.interactions.enums import Channel
from pulso.notifications.enums import Channel as NotificationChannel
from pulso.notifications.enums import Status as NotificationStatus
from pulso.notifications.models import Notification, WebhookEndpoint
from tests.factories import make_customer, make_feedback, make_interaction
from tests.web.conftest import World, app_routes, csrf_from

EVERYONE = frozenset(Role)
WRITERS = frozenset({Role.ADMIN, Role.CX_MANAGER, Role.SUPERVISOR})
ADMINS = frozenset({Role.ADMIN})
EDITORS = frozenset({Role.ADMIN, Role.CX_MANAGER})
CASE_ROLES = EVERYONE - {Role.VIEWER}


@dataclass(frozen=True, slots=True)
class Rows:
    mine: int  # feedback of the agent, in the supervisor's team
    theirs: int  # feedback of the other team
    customer: int
    other_customer: int
    interaction: int
    other_interaction: int
    import_id: int
    token_id: int
    endpoint_id: int  # a webhook endpoint
    notification_id: int  # a dead letter in the outbox
    case_id: int  # the agent's case, opened on `mine`
    rule_id: int


@pytest.fixture
def rows(session: Session, world: World) -> Rows:
    when = datetime(2026, 11, 20, 15, tzinfo=UTC)
    agent = world.user_ids[Role.AGENT]
    with session.begin():
        customer, other = make_customer(session), make_customer(session, segment="Ocasional")
        mine_i = make_interaction(
            session,
            opened_at=when,
            customer_id=customer.id,
            team_id=world.team_id,
            agent_id=agent,
            channel=Channel.PHONE,
        )
        theirs_i = make_interaction(
            session, opened_at=when, customer_id=other.id, team_id=world.other_team_id, channel=Channel.EMAIL
        )
        mine = make_feedback(
            session,
            received_at=when,
            customer_id=customer.id,
            interaction_id=mine_i.id,
            team_id=world.team_id,
            agent_id=agent,
            nps=9,
            comment="Muy buena atención",
        )
        theirs = make_feedback(
            session,
            received_at=when,
            customer_id=other.id,
            interaction_id=theirs_i.id,
            team_id=world.other_team_id,
            nps=2,
            comment="Pésimo",
        )
        run = ImportRun(
            kind=ImportKind.FEEDBACK,
            filename="respuestas.csv",
            file_sha256="0" * 64,
            options_fingerprint="x",
            status=ImportStatus.DONE,
            rows_total=1,
            rows_done=1,
            created_by=world.user_ids[Role.SUPERVISOR],
            finished_at=when,
        )
        session.add(run)
        session.flush()
        token = accounts.create_token(session, name="Zendesk", role=Role.VIEWER)
        endpoint = WebhookEndpoint(name="CRM", url="https://hooks.example.com/pulso", secret="whsec_x", events=[])
        session.add(endpoint)
        session.flush()
        dead = Notification(
            event="case.opened",
            key="case:1",
            channel=NotificationChannel.WEBHOOK,
            target=str(endpoint.id),
            body="{}",
            payload={},
            status=NotificationStatus.DEAD,
            attempts=10,
            last_error="HTTP 500",
        )
        session.add(dead)
        session.flush()
        admin = Principal(role=Role.ADMIN, user_id=world.user_ids[Role.ADMIN])
        case = cases.open_manual_case(session, admin, mine.id, priority=Priority.NORMAL, now=when)
        cases.assign_case(session, admin, case.id, agent, now=when)
        rule = cases.save_rule(
            session, admin, RuleIn(name="Detractores", condition={"field": "nps", "op": "lte", "value": 6}), now=when
        )
    return Rows(
        mine.id,
        theirs.id,
        customer.id,
        other.id,
        mine_i.id,
        theirs_i.id,
        run.id,
        token.id,
        endpoint.id,
        dead.id,
        case.id,
        rule.id,
    )


def _pages(world: World, rows: Rows) -> dict[str, tuple[str, frozenset[Role]]]:
    """Route path → (a URL to open, the roles that may open it)."""
    return {
        "/": ("/", EVERYONE),
        "/account": ("/account", EVERYONE),
        "/feedback": ("/feedback", EVERYONE),
        "/feedback.csv": ("/feedback.csv", EVERYONE),
        "/feedback/{feedback_id}": (f"/feedback/{rows.mine}", EVERYONE),
        "/customers/{customer_id}": (f"/customers/{rows.customer}", EVERYONE),
        "/interactions/{interaction_id}": (f"/interactions/{rows.interaction}", EVERYONE),
        "/overview/kpis.csv": ("/overview/kpis.csv", EVERYONE),
        "/overview/breakdown.csv": ("/overview/breakdown.csv", EVERYONE),
        "/overview/trend.csv": ("/overview/trend.csv", EVERYONE),
        "/imports": ("/imports", WRITERS),
        "/imports/{import_id:int}": (f"/imports/{rows.import_id}", WRITERS),
        "/imports/{import_id:int}/progress": (f"/imports/{rows.import_id}/progress", WRITERS),
        "/imports/{import_id:int}/rejected.csv": (f"/imports/{rows.import_id}/rejected.csv", WRITERS),
        "/admin/users": ("/admin/users", ADMINS),
        "/admin/users/new": ("/admin/users/new", ADMINS),
        "/admin/users/{user_id}": (f"/admin/users/{world.user_ids[Role.VIEWER]}", ADMINS),
        "/admin/teams": ("/admin/teams", ADMINS),
        "/admin/teams/{team_id}": (f"/admin/teams/{world.team_id}", ADMINS),
        "/settings/tokens": ("/settings/tokens", ADMINS),
        "/topics": ("/topics", EVERYONE),
        "/topics/topics.csv": ("/topics/topics.csv", EVERYONE),
        "/topics/taxonomy": ("/topics/taxonomy", EDITORS),
        "/admin/notifications": ("/admin/notifications", ADMINS),
        "/admin/notifications/{notification_id}": (f"/admin/notifications/{rows.notification_id}", ADMINS),
        "/admin/webhooks": ("/admin/webhooks", ADMINS),
        "/admin/webhooks/{endpoint_id}": (f"/admin/webhooks/{rows.endpoint_id}", ADMINS),
        "/cases": ("/cases", CASE_ROLES),
        "/cases.csv": ("/cases.csv", CASE_ROLES),
        "/cases/{case_id:int}": (f"/cases/{rows.case_id}", CASE_ROLES),
        "/cases/dashboard": ("/cases/dashboard", CASE_ROLES),
        "/cases/dashboard/compliance.csv": ("/cases/dashboard/compliance.csv", CASE_ROLES),
        "/cases/rules": ("/cases/rules", WRITERS),
        "/cases/rules/new": ("/cases/rules/new", EDITORS),
        "/cases/rules/{rule_id:int}": (f"/cases/rules/{rows.rule_id}", WRITERS),
        "/cases/sla": ("/cases/sla", WRITERS),
    }


# Pages that need a state made by another step (an upload waiting for its mapping); their own tests cover them.
NOT_IN_MATRIX = {"/login", "/imports/uploads/{token}"}


def test_every_page_route_is_in_the_matrix(client: TestClient, world: World, rows: Rows) -> None:
    routed = {
        r.path for r in app_routes(client.app) if "GET" in (r.methods or set()) and not r.path.startswith("/api/")
    }
    assert routed - NOT_IN_MATRIX == set(_pages(world, rows))


def test_anonymous_visitors_are_sent_to_sign_in(client: TestClient, world: World, rows: Rows) -> None:
    for url, _ in _pages(world, rows).values():
        response = client.get(url)
        assert response.status_code == 303, url
        assert response.headers["location"].startswith("/login?next="), url


def test_the_page_matrix(browser: Callable[[Role], TestClient], world: World, rows: Rows) -> None:
    pages = _pages(world, rows)
    for role in Role:
        client = browser(role)
        for url, allowed in pages.values():
            status = client.get(url).status_code
            expected = 200 if role in allowed else 403
            assert status == expected, (role, url, status)


def test_rows_out_of_scope_are_not_found(browser: Callable[[Role], TestClient], rows: Rows) -> None:
    """A supervisor or agent never learns that another team's row exists: 404, as for a missing one."""
    others = (
        f"/feedback/{rows.theirs}",
        f"/customers/{rows.other_customer}",
        f"/interactions/{rows.other_interaction}",
    )
    for role in Role:
        client = browser(role)
        for url in others:
            expected = 404 if role in (Role.SUPERVISOR, Role.AGENT) else 200
            assert client.get(url).status_code == expected, (role, url)


def _counts(session: Session) -> list[int]:
    queries = [select(func.count()).select_from(model) for model in (User, Team, ApiToken, ImportRun)]
    queries.append(select(func.count()).select_from(ApiToken).where(ApiToken.revoked_at.is_not(None)))
    queries.append(select(func.count()).select_from(Notification).where(Notification.status == NotificationStatus.DEAD))
    queries.append(select(func.count()).select_from(WebhookEndpoint).where(WebhookEndpoint.is_active.is_(True)))
    queries.append(select(func.count()).select_from(WebhookEndpoint).where(WebhookEndpoint.name == "CRM"))
    with session.begin():
        return [session.scalar(q) or 0 for q in queries]


def test_forbidden_forms_change_nothing(
    browser: Callable[[Role], TestClient], session: Session, world: World, rows: Rows
) -> None:
    before = _counts(session)
    admin_forms = [
        ("/admin/users", {"email": "nueva@example.com", "name": "Nueva", "role": "admin", "locale": "es"}),
        (f"/admin/users/{world.user_ids[Role.VIEWER]}", {"name": "X", "role": "admin", "locale": "es"}),
        (f"/admin/users/{world.user_ids[Role.VIEWER]}/password", {}),
        ("/admin/teams", {"name": "Equipo nuevo", "kind": "service"}),
        (f"/admin/teams/{world.team_id}", {"name": "Renombrado", "kind": "service"}),
        (f"/admin/teams/{world.other_team_id}/delete", {}),
        ("/settings/tokens", {"name": "robado", "role": "admin"}),
        (f"/settings/tokens/{rows.token_id}/revoke", {}),
        ("/admin/notifications/replay", {"ids": str(rows.notification_id)}),
        ("/admin/webhooks", {"name": "robado", "url": "https://evil.example.com"}),
        (f"/admin/webhooks/{rows.endpoint_id}", {"name": "X", "url": "https://evil.example.com"}),
        (f"/admin/webhooks/{rows.endpoint_id}/active", {"active": "no"}),
        (f"/admin/webhooks/{rows.endpoint_id}/test", {}),
        (f"/admin/webhooks/{rows.endpoint_id}/delete", {}),
    ]
    import_forms = [("/imports", {"kind": "feedback"})]
    for role in Role:
        client = browser(role)
        token = csrf_from(client.get("/account").text)
        forms = (admin_forms if role is not Role.ADMIN else []) + (import_forms if role not in WRITERS else [])
        for path, data in forms:
            response = client.post(path, data={**data, "csrf_token": token})
            assert response.status_code == 403, (role, path, response.status_code)
    assert _counts(session) == before


def test_topics_show_only_the_scope(browser: Callable[[Role], TestClient], session: Session, rows: Rows) -> None:
    """A supervisor's and an agent's Topics count only their own feedback (the other team's is left out)."""
    from pulso.text.models import FeedbackText

    with session.begin():
        for feedback_id in (rows.mine, rows.theirs):
            session.add(
                FeedbackText(
                    feedback_id=feedback_id,
                    language="es",
                    sentiment="negative",
                    sentiment_score=-0.5,
                    key_phrases=[],
                    topics="staff.attitude:",
                    model_version="test",
                    topics_corrected=False,
                )
            )
    query = "/topics/topics.csv?period=custom&from=2026-11-01&to=2026-11-30"
    for role, expected in ((Role.ADMIN, "2"), (Role.VIEWER, "2"), (Role.SUPERVISOR, "1"), (Role.AGENT, "1")):
        lines = browser(role).get(query).text.splitlines()
        header = lines[0].split(",")
        topic = next(line.split(",") for line in lines[1:] if line.startswith("topic,staff,staff.attitude,"))
        assert topic[header.index("mentions")] == expected, role
