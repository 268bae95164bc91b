"""Input and output models of the feedback domain: import options and reports, and the API bodies."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from pulso.feedback.enums import FeedbackSource, ImportKind, ImportStatus
from pulso.interactions.enums import Channel

MAX_API_ITEMS = 10_000


@dataclass
class ImportOptions:
    """How to read and store one import. `mapping` is {source column: canonical field or "ignore"}."""

    kind: ImportKind
    mapping: dict[str, str] = field(default_factory=dict)
    all_or_nothing: bool = False
    encoding: str | None = None
    separator: str | None = None
    dayfirst: bool = True
    # Feedback: one of FeedbackSource; interactions accept any name (zendesk, genesys...).
    default_source: FeedbackSource | str = FeedbackSource.IMPORT
    batch_size: int = 50_000
    sync_analytics: bool = True
    sheet: str | None = None
    interaction_source: str = "import"


@dataclass(frozen=True, slots=True)
class RowError:
    """Why a row was rejected: its row in the file (header = row 1), the field, the reason (en / es)."""

    row: int
    field: str | None
    reason: str
    value: str | None = None


@dataclass
class ImportReport:
    import_id: int | None
    status: ImportStatus
    rows_total: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    errors: list[RowError]
    seconds: float
    customers_created: int = 0
    resumed_from: int = 0  # rows already done by an interrupted run of the same file
    synced: bool = False  # whether the analytic store was brought up to date
    message: str | None = None

    @property
    def rows_per_second(self) -> float:
        return self.rows_total / self.seconds if self.seconds > 0 else 0.0


# --- API ---------------------------------------------------------------------------------------

Loose = str | int | float | None


class FeedbackIn(BaseModel):
    """One piece of feedback. Only the shape is checked here; values are validated as in file imports."""

    model_config = ConfigDict(extra="forbid")

    external_id: str | int | None = Field(None, description="Your id; with `source`, the key of the row.")
    source: str | None = Field(None, description="survey, review, complaint, social, chat, import, api.")
    received_at: str | None = Field(None, description="ISO 8601; naive times are in the organisation's zone.")
    customer: str | int | None = Field(None, description="Customer external id (created when unknown).")
    interaction: str | int | None = None
    interaction_source: str | None = None
    touchpoint: str | None = Field(None, description="Touchpoint code.")
    agent: str | None = Field(None, description="Agent code or e-mail.")
    team: str | None = Field(None, description="Team name or code.")
    product: str | None = Field(None, description="Product SKU.")
    channel: str | None = None
    language: str | None = None
    nps: Loose = Field(None, description="0–10")
    csat: Loose = Field(None, description="1–5")
    ces: Loose = Field(None, description="1–7")
    rating: Loose = Field(None, description="1–5")
    comment: str | None = None
    extras: dict[str, Any] | None = None


class FeedbackBulkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[FeedbackIn]


class ItemError(BaseModel):
    index: int
    field: str | None
    reason: str
    value: str | None = None


class ImportResult(BaseModel):
    import_id: int | None
    status: ImportStatus
    received: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    errors: list[ItemError]


class RowErrorOut(BaseModel):
    row: int
    field: str | None
    reason: str
    value: str | None = None


class ImportRunOut(BaseModel):
    id: int
    kind: ImportKind
    filename: str
    status: ImportStatus
    rows_total: int
    rows_done: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    message: str | None
    started_at: datetime
    finished_at: datetime | None
    errors_total: int
    errors: list[RowErrorOut]


class FeedbackOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    source: FeedbackSource
    external_id: str
    received_at: datetime
    customer_id: int | None
    interaction_id: int | None
    touchpoint_id: int | None
    agent_id: int | None
    team_id: int | None
    product_id: int | None
    channel: Channel | None
    language: str | None
    nps: int | None
    csat: int | None
    ces: int | None
    rating: int | None
    comment: str | None
    extras: dict[str, Any]
    import_id: int | None
    version: int
    created_at: datetime
    updated_at: datetime


class FeedbackPage(BaseModel):
    items: list[FeedbackOut]
    total: int
    page: int
    size: int
    pages: int
