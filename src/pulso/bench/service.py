"""Benchmarks: import throughput and the four-query dashboard, on data shaped like shared/bench/gen.py."""

from __future__ import annotations

import os
import platform
import secrets
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import polars as pl
import psutil
from sqlalchemy import event
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Receive, Scope, Send

from pulso.accounts import service as accounts
from pulso.accounts.enums import Role, TeamKind
from pulso.accounts.models import User
from pulso.bench import logic as overview
from pulso.catalog.models import Product
from pulso.config import Settings
from pulso.customers.models import Customer
from pulso.interactions.enums import Channel
from pulso.journeys.models import Journey, Stage, Touchpoint
from pulso.metrics import service as metrics
from pulso.metrics.schemas import KpiResult
from pulso.runtime import Runtime, set_runtime

if TYPE_CHECKING:
    from starlette.testclient import TestClient

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


# --------------------------------------------------------------------------- the overview page


BENCH_USER_EMAIL = "bench.overview@pulso.local"
# What htmx sends when a filter changes: only the results are rendered (metrics/pages.py RESULTS_ID).
FRAGMENT_HEADERS = {"HX-Request": "true", "HX-Target": "overview-results"}
Target = Literal["page", "api"]


class ServerClock:
    """ASGI wrapper: how long the app spends on each HTTP request, from its call to its last message.

    This is the server time the benchmark reports: routing, dependencies (session cookie, user look-up),
    the page's computations and the template rendering, without the client or any network. It also
    keeps the CPU time the process spent meanwhile (every thread, DuckDB's too): requests run one at
    a time, so that is the request's, and it is less sensitive than wall time to other work on the machine.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.last = 0.0
        self.last_cpu = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, cpu = time.perf_counter(), time.process_time()
        try:
            await self.app(scope, receive, send)
        finally:
            self.last = time.perf_counter() - started
            self.last_cpu = time.process_time() - cpu


@dataclass
class Probe:
    """Counts what a request does: KPIs computed and SQL statements on each store, with their time."""

    kpis: int = 0
    compute_seconds: float = 0.0
    duckdb: int = 0
    duckdb_seconds: float = 0.0
    sqlite: int = 0
    sqlite_seconds: float = 0.0

    def reset(self) -> None:
        self.kpis = self.duckdb = self.sqlite = 0
        self.compute_seconds = self.duckdb_seconds = self.sqlite_seconds = 0.0


@contextmanager
def probing(runtime: Runtime) -> Iterator[Probe]:
    """Attach the probe to the runtime's two engines and to metrics.service.compute_on (one call per KPI)."""
    probe = Probe()
    original = metrics.compute_on

    def counted(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            probe.kpis += 1
            probe.compute_seconds += time.perf_counter() - started

    def listeners(kind: str) -> tuple[Callable[..., None], Callable[..., None]]:
        def before(conn: Any, *_: Any) -> None:
            conn.info.setdefault("bench_started", []).append(time.perf_counter())

        def after(conn: Any, *_: Any) -> None:
            seconds = time.perf_counter() - conn.info["bench_started"].pop()
            if kind == "duckdb":
                probe.duckdb += 1
                probe.duckdb_seconds += seconds
            else:
                probe.sqlite += 1
                probe.sqlite_seconds += seconds

        return before, after

    engines = [("sqlite", runtime.engine), ("duckdb", runtime.analytics.engine)]
    attached = []
    for kind, engine in engines:
        before, after = listeners(kind)
        event.listen(engine, "before_cursor_execute", before)
        event.listen(engine, "after_cursor_execute", after)
        attached.append((engine, before, after))
    metrics.compute_on = counted
    try:
        yield probe
    finally:
        metrics.compute_on = original
        for engine, before, after in attached:
            event.remove(engine, "before_cursor_execute", before)
            event.remove(engine, "after_cursor_execute", after)


def open_data_dir(data_dir: Path) -> Runtime:
    """A runtime on an existing data dir (nothing is rebuilt; no background sync)."""
    if not (data_dir / "pulso.db").exists():
        raise FileNotFoundError(
            f"{data_dir} holds no Pulso data; build it with `pulso demo --size N --no-serve --data-dir {data_dir}`"
        )
    # No text analysis in the background: a demo of millions of unread comments would keep a core busy.
    runtime = Runtime(Settings(data_dir=data_dir, analytics_sync_seconds=0, text_analysis=False))
    set_runtime(runtime)
    return runtime


def ensure_bench_user(runtime: Runtime, *, role: Role, team_id: int | None = None) -> str:
    """The benchmark's own user, with that role and a fresh password (returned)."""
    from pulso.accounts.repository import user_by_email

    password = secrets.token_urlsafe(12)
    with runtime.sessions() as session, session.begin():
        user = user_by_email(session, BENCH_USER_EMAIL)
        if user is None:
            accounts.create_user(
                session,
                email=BENCH_USER_EMAIL,
                name="Benchmark",
                role=role,
                password=password,
                team_id=team_id,
            )
        else:
            user.role, user.team_id, user.is_active = role, team_id, True
            user.password_hash = accounts.hash_password(password)
    return password


def plan_choices(runtime: Runtime) -> overview.Choices:
    """Today, the data's days and the values of each filter dimension (from the analytic rollups)."""
    from sqlalchemy import select

    cur = runtime.analytics.cursor()
    first, last = cur.execute("SELECT min(local_day), max(local_day) FROM rollup_day").fetchone() or (None, None)
    if first is None or last is None:
        raise ValueError("the analytic store holds no feedback")

    def distinct(table: str, column: str) -> list[str]:
        rows = cur.execute(f"SELECT DISTINCT {column} FROM {table} WHERE {column} IS NOT NULL ORDER BY 1").fetchall()
        return [str(r[0]) for r in rows]

    with runtime.sessions() as session, session.begin():
        codes = {str(i): code for i, code in session.execute(select(Touchpoint.id, Touchpoint.code))}
    values = {
        "channel": distinct("rollup_day_channel", "channel"),
        "language": distinct("rollup_day_channel", "language"),
        # The page names a touchpoint by its code, a team and a product by their ids.
        "touchpoint": [codes[i] for i in distinct("rollup_day_touchpoint", "touchpoint_id") if i in codes],
        "segment": distinct("rollup_day_customer", "segment"),
        "team": distinct("rollup_day_team", "team_id"),
        "product": distinct("rollup_day_product", "product_id"),
    }
    return overview.Choices(today=metrics.today(runtime), first_day=first, last_day=last, values=values)


def feedback_rows(runtime: Runtime) -> int:
    row = runtime.analytics.cursor().execute("SELECT count(*) FROM feedback_facts").fetchone()
    return int(row[0]) if row else 0


@dataclass
class LoadTiming:
    load: overview.Load
    server_seconds: float
    cpu_seconds: float
    client_seconds: float
    requests: int
    status: int
    bytes: int
    kpis: int
    compute_seconds: float
    duckdb: int
    duckdb_seconds: float
    sqlite: int
    sqlite_seconds: float


@dataclass
class OverviewRun:
    target: Target
    data_dir: str
    feedback_rows: int
    role: str
    seed: int
    warmup: int
    loads: list[LoadTiming]
    load_average: dict[str, list[float]] = field(default_factory=dict)

    def server_ms(self) -> list[float]:
        return [t.server_seconds * 1000 for t in self.loads]

    def as_dict(self) -> dict[str, Any]:
        times = self.server_ms()
        plan_loads = [t.load for t in self.loads]
        return {
            "target": self.target,
            "data_dir": self.data_dir,
            "feedback_rows": self.feedback_rows,
            "role": self.role,
            "seed": self.seed,
            "warmup": self.warmup,
            "server_ms": overview.summarise(times).as_dict(),
            "server_cpu_ms": overview.summarise([t.cpu_seconds * 1000 for t in self.loads]).as_dict(),
            "client_ms": overview.summarise([t.client_seconds * 1000 for t in self.loads]).as_dict(),
            "load_average": self.load_average,
            "per_load": {
                "requests": statistics.fmean(t.requests for t in self.loads),
                "kpis": statistics.fmean(t.kpis for t in self.loads),
                "kpi_ms": round(statistics.fmean(t.compute_seconds for t in self.loads) * 1000, 1),
                "duckdb_statements": statistics.fmean(t.duckdb for t in self.loads),
                "duckdb_ms": round(statistics.fmean(t.duckdb_seconds for t in self.loads) * 1000, 1),
                "sqlite_statements": statistics.fmean(t.sqlite for t in self.loads),
                "sqlite_ms": round(statistics.fmean(t.sqlite_seconds for t in self.loads) * 1000, 1),
                "bytes": round(statistics.fmean(t.bytes for t in self.loads)),
            },
            "by_axis": {
                axis: {value: s.as_dict() for value, s in per.items()}
                for axis, per in overview.by_axis(plan_loads, times).items()
            },
            "loads": [
                {
                    **t.load.axes(),
                    "ms": round(t.server_seconds * 1000, 1),
                    "cpu_ms": round(t.cpu_seconds * 1000, 1),
                    "kpis": t.kpis,
                    "duckdb_ms": round(t.duckdb_seconds * 1000, 1),
                }
                for t in self.loads
            ],
            "slowest": [
                {"ms": round(t.server_seconds * 1000, 1), **t.load.axes(), "params": t.load.params()}
                for t in sorted(self.loads, key=lambda t: -t.server_seconds)[:5]
            ],
            "machine": machine(),
        }


def _sign_in(client: TestClient, password: str) -> None:
    import re

    page = client.get("/login")
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    if match is None:
        raise RuntimeError("the sign-in page carries no CSRF token")
    response = client.post(
        "/login", data={"email": BENCH_USER_EMAIL, "password": password, "csrf_token": match.group(1)}
    )
    if response.status_code != 303:
        raise RuntimeError(f"sign-in failed: {response.status_code}")


def run_overview(
    runtime: Runtime,
    *,
    target: Target,
    loads: int,
    warmup: int,
    seed: int,
    role: Role = Role.CX_MANAGER,
    progress: Callable[[int, int], None] | None = None,
) -> OverviewRun:
    """Load the overview (or its API stand-in) `warmup` + `loads` times with the seeded plan's filters."""
    from starlette.testclient import TestClient

    from pulso.app import create_app

    team_id = None
    if role in (Role.SUPERVISOR, Role.AGENT):
        raise ValueError("the benchmark signs in as a role that sees every team (admin, cx_manager, viewer)")
    password = ensure_bench_user(runtime, role=role, team_id=team_id)
    choices = plan_choices(runtime)
    the_plan = overview.plan(choices, loads=warmup + loads, seed=seed)
    clock = ServerClock(create_app(runtime, sync_loop=False))
    before = [round(x, 2) for x in os.getloadavg()]  # other work on the machine, as 1, 5, 15-minute averages
    headers: dict[str, str] = {}
    with TestClient(clock, follow_redirects=False) as client, probing(runtime) as probe:
        if target == "page":
            _sign_in(client, password)
        else:
            with runtime.sessions() as session, session.begin():
                token = accounts.create_token(session, name="bench overview", role=role).token
            headers["Authorization"] = f"Bearer {token}"
        timings: list[LoadTiming] = []
        for i, load in enumerate(the_plan):
            page: list[tuple[str, dict[str, str | list[str]]]] = [("/", dict(load.params()))]
            requests = page if target == "page" else overview.api_requests(load)
            probe.reset()
            server = cpu = client_seconds = 0.0
            size, status = 0, 200
            for path, params in requests:
                extra = FRAGMENT_HEADERS if target == "page" and load.fragment else {}
                started = time.perf_counter()
                response = client.get(path, params=params, headers={**headers, **extra})
                client_seconds += time.perf_counter() - started
                server += clock.last
                cpu += clock.last_cpu
                size += len(response.content)
                if response.status_code != 200:
                    status = response.status_code
                    raise RuntimeError(f"{path} {params}: {response.status_code} {response.text[:300]}")
            if i >= warmup:
                timings.append(
                    LoadTiming(
                        load,
                        server,
                        cpu,
                        client_seconds,
                        len(requests),
                        status,
                        size,
                        probe.kpis,
                        probe.compute_seconds,
                        probe.duckdb,
                        probe.duckdb_seconds,
                        probe.sqlite,
                        probe.sqlite_seconds,
                    )
                )
            if progress is not None:
                progress(i + 1, len(the_plan))
    return OverviewRun(
        target,
        str(runtime.settings.data_dir),
        feedback_rows(runtime),
        role.value,
        seed,
        warmup,
        timings,
        {"before": before, "after": [round(x, 2) for x in os.getloadavg()]},
    )


def start_profile() -> None:
    """Start yappi (wall clock, every thread: the page runs in the app's worker threads)."""
    try:
        import yappi  # type: ignore[import-not-found]
    except ImportError:
        raise RuntimeError("--profile needs yappi: `uv run --with yappi pulso bench overview ...`") from None
    yappi.set_clock_type("wall")
    yappi.start(builtins=False, profile_threads=True)


def stop_profile(path: Path, *, top: int = 60) -> None:
    """Stop yappi; write Pulso's functions by total time, then every function by its own time.

    Wall clock over every thread: waits and the thread plumbing (the client waiting for the app,
    the thread pool, idle worker threads) are left out of the second list, so what remains is
    where the requests spend their time.
    """
    import io

    import yappi

    yappi.stop()
    stats = list(yappi.get_func_stats())
    waiting = ("wait", "sleep", "select", "_run_once", "receive", "acquire", "get", "join", "loop")
    out = io.StringIO()

    def write(title: str, entries: list[Any]) -> None:
        out.write(f"# {title}\n{'total s':>9} {'own s':>9} {'calls':>9}  function\n")
        for entry in entries[:top]:
            out.write(
                f"{entry.ttot:9.3f} {entry.tsub:9.3f} {entry.ncall:9d}  {entry.module}:{entry.lineno} {entry.name}\n"
            )
        out.write("\n")

    ours = [e for e in stats if "/pulso/" in e.module and "/pulso/bench/" not in e.module and "app.py" not in e.module]
    write("Pulso's functions by total time", sorted(ours, key=lambda e: -e.ttot))
    plumbing = ("/anyio/", "/fastapi/", "/starlette/", "contextlib.py", "/pulso/app.py", "/huey/")
    busy = [
        e for e in stats if not any(w in e.name.lower() for w in waiting) and not any(p in e.module for p in plumbing)
    ]
    write("every function by its own time (waits left out)", sorted(busy, key=lambda e: -e.tsub))
    path.write_text(out.getvalue())
    yappi.clear_stats()
