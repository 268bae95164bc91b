"""The administration services: users, teams and tokens checked before anything is written."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pulso.accounts import repository
from pulso.accounts import service as accounts
from pulso.accounts.enums import Role, TeamKind
from pulso.accounts.models import ApiToken, Team, User
from pulso.kit.errors import Conflict, ValidationFailed
from pulso.kit.pagination import PageParams
from tests.factories import make_feedback, make_team

NOW = datetime(2026, 6, 1, 9, tzinfo=UTC)


def _admin(session: Session, email: str = "jefa@example.com") -> User:
    return accounts.create_user(session, email=email, name="Jefa", role=Role.ADMIN, password="clave-larga-1")


def _field(exc: pytest.ExceptionInfo[ValidationFailed]) -> str:
    details = exc.value.details
    assert isinstance(details, dict)
    field: str = details["field"]
    return field


def test_fold_text_matches_the_sql_fold(session: Session) -> None:
    assert repository.fold_text("José ÑÚÑEZ Güemes") == "jose nunez guemes"
    with session.begin():
        accounts.create_user(session, email="JNunez@example.com", name="JOSÉ ÑÚÑEZ", role=Role.VIEWER)
        accounts.create_user(session, email="maria@example.com", name="María 100%_real", role=Role.VIEWER)
        for text in ("nunez", "Núñez", "jose n", "jnunez@"):
            assert [u.name for u in accounts.user_page(session, text=text).items] == ["JOSÉ ÑÚÑEZ"], text
        # LIKE wildcards in the search are literal characters.
        assert [u.name for u in accounts.user_page(session, text="%_").items] == ["María 100%_real"]
        assert accounts.user_page(session, text="_", params=PageParams(page=1, size=1)).total == 1


def test_add_user_generates_a_password_only_when_none_is_given(session: Session) -> None:
    with session.begin():
        team = make_team(session)
        user, generated = accounts.add_user(
            session, email="Nuevo@Example.com ", name=" Nuevo ", role=Role.AGENT, team_id=team.id
        )
        assert generated is not None
        assert (user.email, user.name) == ("nuevo@example.com", "Nuevo")
        assert accounts.verify_password(user.password_hash, generated)
        chosen, none = accounts.add_user(
            session, email="otro@example.com", name="Otro", role=Role.VIEWER, password="elegida-123"
        )
        assert none is None
        assert accounts.verify_password(chosen.password_hash, "elegida-123")


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"email": "", "name": "X", "role": Role.VIEWER}, "email"),
        ({"email": "x@localhost", "name": "X", "role": Role.VIEWER}, "email"),
        ({"email": "x@example.com", "name": "", "role": Role.VIEWER}, "name"),
        ({"email": "x@example.com", "name": "X" * 201, "role": Role.VIEWER}, "name"),
        ({"email": "x@example.com", "name": "X", "role": Role.SUPERVISOR}, "team_id"),
        ({"email": "x@example.com", "name": "X", "role": Role.VIEWER, "team_id": 999}, "team_id"),
        ({"email": "x@example.com", "name": "X", "role": Role.VIEWER, "locale": "fr"}, "locale"),
        ({"email": "x@example.com", "name": "X", "role": Role.VIEWER, "password": "corta"}, "password"),
    ],
)
def test_add_user_refuses_bad_input_naming_the_field(session: Session, values: dict[str, object], field: str) -> None:
    with session.begin():
        with pytest.raises(ValidationFailed) as exc:
            accounts.add_user(session, **values)  # type: ignore[arg-type]
        assert _field(exc) == field
        assert " / " in exc.value.message  # English and Spanish
        assert session.scalar(select(func.count()).select_from(User)) == 0


def test_the_last_active_admin_cannot_be_demoted_or_deactivated(session: Session) -> None:
    with session.begin():
        first = _admin(session)
        manager = accounts.create_user(session, email="m@example.com", name="M", role=Role.CX_MANAGER)
        common = {"name": "Jefa", "team_id": None, "locale": "es"}
        with pytest.raises(ValidationFailed, match="último administrador") as exc:
            accounts.update_user(session, first.id, actor_id=manager.id, role=Role.VIEWER, is_active=True, **common)  # type: ignore[arg-type]
        assert _field(exc) == "role"
        with pytest.raises(ValidationFailed, match="último administrador") as exc:
            accounts.update_user(session, first.id, actor_id=manager.id, role=Role.ADMIN, is_active=False, **common)  # type: ignore[arg-type]
        assert _field(exc) == "is_active"
        # With a second active admin, the first may go; an inactive admin does not count.
        second = _admin(session, "segunda@example.com")
        accounts.update_user(session, first.id, actor_id=second.id, role=Role.VIEWER, is_active=True, **common)  # type: ignore[arg-type]
        assert repository.active_admin_ids(session) == [second.id]
        with pytest.raises(ValidationFailed, match="propio rol"):
            accounts.update_user(session, second.id, actor_id=second.id, role=Role.VIEWER, is_active=True, **common)  # type: ignore[arg-type]
        with pytest.raises(ValidationFailed, match="propia cuenta"):
            accounts.update_user(session, second.id, actor_id=second.id, role=Role.ADMIN, is_active=False, **common)  # type: ignore[arg-type]


def test_a_users_tokens_follow_a_change_of_role(session: Session) -> None:
    with session.begin():
        team = make_team(session)
        admin = _admin(session)
        agent, _ = accounts.add_user(session, email="a@example.com", name="A", role=Role.AGENT, team_id=team.id)
        created = accounts.create_user_token(session, name="bot", role=None, owner_email="A@example.com")
        principal = accounts.authenticate_token(session, created.token, now=NOW)
        assert (principal.role, principal.user_id, principal.team_id) == (Role.AGENT, agent.id, team.id)
        accounts.update_user(
            session,
            agent.id,
            actor_id=admin.id,
            name="A",
            role=Role.SUPERVISOR,
            team_id=team.id,
            locale="es",
            is_active=True,
        )
        assert accounts.authenticate_token(session, created.token, now=NOW).role is Role.SUPERVISOR


def test_token_rules(session: Session) -> None:
    with session.begin():
        team = make_team(session)
        accounts.add_user(session, email="a@example.com", name="A", role=Role.AGENT, team_id=team.id)
        off, _ = accounts.add_user(session, email="off@example.com", name="Off", role=Role.VIEWER)
        off.is_active = False
        cases = [
            ({"name": " ", "role": Role.VIEWER, "owner_email": None}, "name"),
            ({"name": "x" * 121, "role": Role.VIEWER, "owner_email": None}, "name"),
            ({"name": "t", "role": None, "owner_email": None}, "role"),
            ({"name": "t", "role": Role.AGENT, "owner_email": None}, "owner"),
            ({"name": "t", "role": None, "owner_email": "nadie@example.com"}, "owner"),
            ({"name": "t", "role": None, "owner_email": "off@example.com"}, "owner"),
            ({"name": "t", "role": Role.ADMIN, "owner_email": "a@example.com"}, "role"),
        ]
        for values, field in cases:
            with pytest.raises(ValidationFailed) as exc:
                accounts.create_user_token(session, **values)  # type: ignore[arg-type]
            assert _field(exc) == field, values
        assert session.scalar(select(func.count()).select_from(ApiToken)) == 0
        machine = accounts.create_user_token(session, name=" Zendesk ", role=Role.CX_MANAGER, owner_email="")
        assert machine.name == "Zendesk"
        accounts.revoke_token(session, machine.id, now=NOW)
        accounts.revoke_token(session, machine.id, now=datetime(2027, 1, 1, tzinfo=UTC))
        page = accounts.token_page(session)
        assert page.total == 1
        token, owner = page.items[0]
        assert token.revoked_at == NOW  # the first revocation is kept
        assert owner is None


def test_teams_names_parents_and_loops(session: Session) -> None:
    with session.begin():
        north = accounts.add_team(session, name=" Norte ", kind=TeamKind.SERVICE)
        south = accounts.add_team(session, name="Sur", kind=TeamKind.SALES, parent_id=north.id)
        east = accounts.add_team(session, name="Este", kind=TeamKind.OTHER, parent_id=south.id)
        assert north.name == "Norte"
        assert repository.team_parent_chain(session, east.id) == [south.id, north.id]
        with pytest.raises(ValidationFailed) as exc:
            accounts.add_team(session, name="Sur", kind=TeamKind.SERVICE)
        assert _field(exc) == "name"
        with pytest.raises(ValidationFailed) as exc:
            accounts.update_team(session, north.id, name="Norte", kind=TeamKind.SERVICE, parent_id=east.id)
        assert _field(exc) == "parent_id"
        with pytest.raises(ValidationFailed):
            accounts.update_team(session, north.id, name="Norte", kind=TeamKind.SERVICE, parent_id=north.id)
        with pytest.raises(ValidationFailed):
            accounts.add_team(session, name="Oeste", kind=TeamKind.SERVICE, parent_id=999)
        accounts.update_team(session, south.id, name="Sur", kind=TeamKind.SALES, parent_id=None)  # same name: fine
        rows = {r.name: r for r in accounts.team_rows(session)}
        assert rows["Este"].parent_name == "Sur"
        assert rows["Sur"].parent_name is None


def test_only_an_empty_team_can_be_deleted(session: Session) -> None:
    with session.begin():
        busy = accounts.add_team(session, name="Con gente", kind=TeamKind.SERVICE)
        parent = accounts.add_team(session, name="Con hijos", kind=TeamKind.SERVICE)
        accounts.add_team(session, name="Hijo", kind=TeamKind.SERVICE, parent_id=parent.id)
        used = accounts.add_team(session, name="Con historia", kind=TeamKind.SERVICE)
        empty = accounts.add_team(session, name="Vacío", kind=TeamKind.SERVICE)
        member, _ = accounts.add_user(session, email="a@example.com", name="A", role=Role.AGENT, team_id=busy.id)
        member.is_active = False  # an inactive member still belongs to it
        make_feedback(session, team_id=used.id, nps=10)
        assert repository.team_references(session, busy.id) == {"users": 1}
        for team, words in ((busy, "1 member(s)"), (parent, "1 sub-team(s)"), (used, "1 other record(s)")):
            with pytest.raises(Conflict, match=words.replace("(", r"\(").replace(")", r"\)")):
                accounts.delete_team(session, team.id)
        assert accounts.delete_team(session, empty.id) == "Vacío"
        assert session.get(Team, empty.id) is None
        counts = {r.name: (r.active_members, r.members) for r in accounts.team_rows(session)}
        assert counts["Con gente"] == (0, 1)
