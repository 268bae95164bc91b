"""Small helpers for string enums stored as text."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Enum as SAEnum


def enum_column_type(enum_cls: type[StrEnum], length: int = 24) -> SAEnum:
    """Store an enum by its value as plain text with a CHECK constraint, the same on every engine."""
    return SAEnum(
        enum_cls,
        values_callable=lambda e: [m.value for m in e],
        native_enum=False,
        length=length,
        create_constraint=True,
        name=enum_cls.__name__.lower(),
        validate_strings=True,
    )
