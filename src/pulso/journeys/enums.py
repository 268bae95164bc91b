"""Enumerations of the journeys domain."""

from __future__ import annotations

from enum import StrEnum


class BlueprintLayer(StrEnum):
    FRONTSTAGE = "frontstage"
    BACKSTAGE = "backstage"
    SUPPORT = "support"
