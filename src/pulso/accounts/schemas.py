"""Input and output models of the accounts domain."""

from __future__ import annotations

from dataclasses import dataclass

from pulso.accounts.enums import Role, TeamKind


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a person (session) or a machine (API token), with role and team scope."""

    role: Role
    user_id: int | None = None
    team_id: int | None = None
    token_id: int | None = None

    @property
    def can_write(self) -> bool:
        return self.role is not Role.VIEWER


@dataclass(frozen=True, slots=True)
class CreatedToken:
    id: int
    name: str
    token: str  # shown once, never stored


@dataclass(frozen=True, slots=True)
class TeamRow:
    """A team as the administration list shows it."""

    id: int
    name: str
    kind: TeamKind
    parent_id: int | None
    parent_name: str | None
    active_members: int
    members: int
