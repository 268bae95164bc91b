"""Input and output models of the metrics domain."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

Compare = Literal["previous", "rest", "none"]


class KpiDefinition(BaseModel):
    key: str
    name_es: str
    name_en: str
    unit: str
    method: str
    higher_is_better: bool


class ComparisonOut(BaseModel):
    against: str = Field(description="previous_period, previous_bucket or rest")
    reference_value: float | None
    reference_n: int
    difference: float | None
    low: float | None
    high: float | None
    statistic: float | None
    p_value: float | None
    df: float | None = None
    significant: bool
    method: str


class KpiPoint(BaseModel):
    period: date | None = None
    group: str | int | bool | None = None
    label: str | None = None
    n: int
    value: float | None
    low: float | None
    high: float | None
    p90: float | None = None
    small_sample: bool
    comparison: ComparisonOut | None = None


class KpiResult(BaseModel):
    kpi: KpiDefinition
    start: date
    end: date
    grain: str | None
    by: str | None
    filters: dict[str, list[str]]
    timezone: str
    engine: str
    confidence: float
    min_n: int
    total: KpiPoint
    rows: list[KpiPoint]
