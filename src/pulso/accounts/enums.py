"""Roles and team kinds."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    CX_MANAGER = "cx_manager"
    SUPERVISOR = "supervisor"
    AGENT = "agent"
    VIEWER = "viewer"


class TeamKind(StrEnum):
    """The department a team belongs to; touchpoints name an owner team of one of these kinds."""

    SERVICE = "service"
    SALES = "sales"
    MARKETING = "marketing"
    PRODUCT = "product"
    LOGISTICS = "logistics"
    BILLING = "billing"
    OTHER = "other"
