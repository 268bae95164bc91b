"""Benchmarks: import throughput and the four-query dashboard, on data shaped like shared/bench/gen.py."""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import psutil
from sqlalchemy.orm import Session

from pulso.accounts import service as accounts
from pulso.accounts.enums import Role, TeamKind
from pulso.accounts.models import User
from pulso.catalog.models import Product
from pulso.customers.models import Customer
from pulso.interactions.enums import Channel
from pulso.journeys.models import Journey, Stage, Touchpoint
from pulso.metrics import service as metrics
from pulso.metrics.schemas import KpiResult
from pulso.runtime import Runtime

# The anchor's integer codes, as Pulso entities.
CHANNELS = (Channel.WEB, Channel.APP, Channel.PHONE, Channel.EMAIL, Channel.CHAT, Channel.WHATSAPP)
N_TOUCHPOINTS, N_TEAMS, N_AGENTS, N_SEGMENTS, N_PRODUCTS = 40, 20, 400, 5, 200


def create_bench_entities(session: Session) -> None:
    """Touchpoints, teams, agents, segment customers and products named after the anchor's codes."""
    accounts.ensure_organization(session, name="Bench SA", timezone="UTC")
    journey = Journey(name="Bench", name_en="Bench")
    session.add(journey)
    session.flush()
    stages = [Stage(journey_id=journey.id, position=i, name=f"Etapa {i}", name_en=f"Stage {i}") for i in range(5)]
    session.add_all(stages)
    session.flush()
    session.add_all(
        Touchpoint(stage_id=stages[i % 5].id, code=f"TP-{i:02d}", name=f"Punto {i:02d}", name_en=f"Touchpoint {i:02d}")
        for i in range(N_TOUCHPOINTS)
    )
    teams = [accounts.create_team(session, name=f"Equipo {i:02d}", kind=TeamKind.SERVICE) for i in range(N_TEAMS)]
    session.add_all(
        User(
            email=f"ag{i:03d}@bench.pulso",
            name=f"Agente {i:03d}",
            role=Role.AGENT,
            code=f"AG-{i:03d}",
            team_id=teams[i // 20].id,
        )
        for i in range(N_AGENTS)
    )
    session.add_all(Customer(external_id=f"SEG-{i}", segment=f"S{i}", attributes={}) for i in range(N_SEGMENTS))
    session.add_all(Product(sku=f"SKU-{i:03d}", name=f"Producto {i:03d}") for i in range(N_PRODUCTS))
    session.flush()


def anchor_frame_to_import(frame: pl.DataFrame) -> pl.DataFrame:
    """The anchor's Parquet columns as Pulso's canonical feedback import columns."""
    channel_names = pl.Series([c.value for c in CHANNELS], dtype=pl.String)
    return frame.select(
        pl.col("id").cast(pl.String).alias("external_id"),
        pl.lit("survey").alias("source"),
        pl.col("responded_at").dt.replace_time_zone("UTC").alias("received_at"),
        pl.format("SEG-{}", pl.col("customer_segment")).alias("customer"),
        pl.format("TP-{}", pl.col("touchpoint_id").cast(pl.String).str.zfill(2)).alias("touchpoint"),
        pl.format("AG-{}", pl.col("agent_id").cast(pl.String).str.zfill(3)).alias("agent"),
        pl.format("Equipo {}", pl.col("team_id").cast(pl.String).str.zfill(2)).alias("team"),
        pl.format("SKU-{}", pl.col("product_id").cast(pl.String).str.zfill(3)).alias("product"),
        pl.col("channel").replace_strict(list(range(len(CHANNELS))), channel_names.to_list()).alias("channel"),
        pl.col("nps_score").cast(pl.Int16).alias("nps"),
        pl.col("csat").cast(pl.Int16).alias("csat"),
        pl.col("ces").cast(pl.Int16).alias("ces"),
    )


def synthetic_feedback(n: int, *, seed: int = 42, start: date = date(2025, 1, 1), days: int = 365) -> pl.DataFrame:
    """N synthetic feedback rows in canonical import columns, with comments on a third of them."""
    rng = np.random.default_rng(seed)
    t0 = int(datetime(start.year, start.month, start.day, tzinfo=UTC).timestamp())
    seconds = np.sort(t0 + rng.integers(0, days * 86400, n))
    agent = rng.integers(0, N_AGENTS, n)
    latent = rng.normal(0.3, 1.0, n)
    nps = np.clip(np.round(7.6 + 2.2 * latent), 0, 10)
    comments = np.array(
        [
            "Muy buena atención",
            "La entrega llegó tarde",
            "El pago fue rechazado dos veces",
            "Excelent service, thanks",
            "Tuve que llamar tres veces",
            "",
        ]
    )
    codes = pl.DataFrame(
        {
            "tp": rng.integers(0, N_TOUCHPOINTS, n),
            "agent": agent,
            "segment": rng.integers(0, N_SEGMENTS, n),
        }
    )
    frame = codes.select(
        pl.format("S-{}", pl.int_range(0, n)).alias("external_id"),
        pl.Series("received_at", seconds * 1_000_000).cast(pl.Datetime("us", "UTC")),
        pl.format("SEG-{}", pl.col("segment")).alias("customer"),
        pl.format("TP-{}", pl.col("tp").cast(pl.String).str.zfill(2)).alias("touchpoint"),
        pl.format("AG-{}", pl.col("agent").cast(pl.String).str.zfill(3)).alias("agent"),
        pl.format("Equipo {}", (pl.col("agent") // 20).cast(pl.String).str.zfill(2)).alias("team"),
    )
    return frame.with_columns(
        pl.Series("channel", rng.choice([c.value for c in CHANNELS], n)),
        pl.Series("nps", np.where(rng.random(n) < 0.15, np.nan, nps)).fill_nan(None).cast(pl.Int16),
        pl.Series("csat", np.clip(np.round(3.9 + 0.9 * latent), 1, 5)).cast(pl.Int16),
        pl.Series("ces", np.clip(np.round(2.8 - latent), 1, 7)).cast(pl.Int16),
        pl.Series("comment", rng.choice(comments, n)),
        pl.lit("es").alias("language"),
    )


# --------------------------------------------------------------------------- the dashboard


@dataclass(frozen=True, slots=True)
class DashboardQuery:
    name: str
    queries: tuple[metrics.KpiQuery, ...]


S52, END, S90 = date(2025, 1, 6), date(2025, 12, 31), date(2025, 10, 3)
SEGMENTS_0_1 = {"segment": ["S0", "S1"]}

DASHBOARD: tuple[DashboardQuery, ...] = (
    DashboardQuery("q1", (metrics.KpiQuery("nps", S52, END, grain="week"),)),
    DashboardQuery(
        "q2",
        tuple(metrics.KpiQuery(k, S52, END, by="touchpoint", filters=SEGMENTS_0_1) for k in ("nps", "csat", "ces")),
    ),
    DashboardQuery("q3", (metrics.KpiQuery("nps", S90, END, by="team"),)),
    DashboardQuery(
        "q4", (metrics.KpiQuery("nps", S90, END, by="agent", min_n=30, only_min_n=True, sort="-value", limit=20),)
    ),
)


def fingerprint(result: KpiResult) -> tuple[int, int, float]:
    """The anchor's fingerprint: rows, sum of NPS answers, sum of NPS values rounded to 2 places."""
    rows = result.rows
    return len(rows), sum(p.n for p in rows), round(sum(p.value or 0.0 for p in rows), 2)


@dataclass
class DashboardRun:
    engine: str
    median_seconds: float
    runs: list[float]
    fingerprints: dict[str, tuple[int, int, float]]
    rss_mb: float
    details: dict[str, Any] = field(default_factory=dict)


def run_dashboard(runtime: Runtime, *, engine: metrics.Engine, runs: int) -> DashboardRun:
    """One warm-up, then `runs` timed runs of the dashboard's queries; the median of their totals."""

    def once() -> dict[str, tuple[int, int, float]]:
        prints = {}
        for widget in DASHBOARD:
            results = [metrics.compute(runtime, q, engine=engine) for q in widget.queries]
            prints[widget.name] = fingerprint(results[0])
        return prints

    once()
    totals: list[float] = []
    prints: dict[str, tuple[int, int, float]] = {}
    for _ in range(runs):
        started = time.perf_counter()
        prints = once()
        totals.append(time.perf_counter() - started)
    rss = psutil.Process(os.getpid()).memory_info().rss / 2**20
    return DashboardRun(engine, statistics.median(totals), totals, prints, rss)


def machine() -> dict[str, str]:
    import duckdb
    import sqlalchemy

    return {
        "cpu": platform.processor() or platform.machine(),
        "cores": str(os.cpu_count()),
        "memory_gb": f"{psutil.virtual_memory().total / 2**30:.0f}",
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "sqlalchemy": sqlalchemy.__version__,
        "polars": pl.__version__,
    }


def timed(label: str, fn: Callable[[], Any], log: Callable[[str], None]) -> tuple[Any, float]:
    started = time.perf_counter()
    value = fn()
    seconds = time.perf_counter() - started
    log(f"{label}: {seconds:.2f}s")
    return value, seconds


def data_path(path: str | Path) -> Path:
    return Path(path).expanduser().resolve()


def dashboard_params() -> list[tuple[str, dict[str, Any]]]:
    """The dashboard's queries as API requests (path, query parameters)."""
    requests = []
    for widget in DASHBOARD:
        for q in widget.queries:
            params: dict[str, Any] = {
                "from": q.start.isoformat(),
                "to": q.end.isoformat(),
                "min_n": q.min_n,
                "sort": q.sort,
                "only_min_n": q.only_min_n,
            }
            if q.grain:
                params["grain"] = q.grain
            if q.by:
                params["by"] = q.by
            if q.limit:
                params["limit"] = q.limit
            for dimension, values in q.filters.items():
                params[dimension] = list(values)
            requests.append((f"/api/v1/metrics/{q.kpi}", params))
    return requests


@dataclass
class ServedRun:
    median_seconds: float
    runs: list[float]
    rss_mb: float


def run_served_dashboard(data_dir: Path, database_url: str | None, *, runs: int, port: int = 8765) -> ServedRun:
    """Start `pulso serve` on the benchmark's stores, time the dashboard over HTTP, read the server's RSS."""
    import subprocess
    import sys

    import httpx

    env = {**os.environ, "PULSO_DATA_DIR": str(data_dir), "PULSO_ANALYTICS_SYNC_SECONDS": "0"}
    if database_url:
        env["PULSO_DATABASE_URL"] = database_url
    token_out = subprocess.run(
        [sys.executable, "-m", "pulso.cli", "token", "create", "--name", "bench"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    token = token_out.stdout.strip().splitlines()[-1]
    server = subprocess.Popen(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "pulso.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=120) as client:
            for _ in range(600):
                try:
                    if client.get("/api/v1/health").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            requests = dashboard_params()

            def once() -> None:
                for path, params in requests:
                    client.get(path, params=params).raise_for_status()

            once()
            totals = []
            for _ in range(runs):
                started = time.perf_counter()
                once()
                totals.append(time.perf_counter() - started)
        rss = psutil.Process(server.pid).memory_info().rss / 2**20
        return ServedRun(statistics.median(totals), totals, rss)
    finally:
        server.terminate()
        server.wait(timeout=30)
