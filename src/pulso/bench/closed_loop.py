"""`pulso bench cases`: the closed loop (detractor → case → e-mail) under a steady load, every part real.

Detractor feedback is posted one per request to the JSON API of a `pulso serve` subprocess (and, when
asked, a separate `pulso worker`); the rules job opens each case and the delivery job hands its e-mail
to SMTP — an aiosmtpd sink in this process, on loopback, which notes when each message arrives and
which post it names. Latency is that arrival minus the time the post was due by the schedule. The
pure parts (schedule, matching, percentiles) are in bench/logic.py.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import IO, Any, Literal

import httpx
import polars as pl
import psutil

from pulso.bench import logic
from pulso.bench.service import machine

TIMEZONE = "America/Mexico_City"
RULE_NAME = "Detractor follow-up"
COMMENTS = (
    "La entrega llegó tarde y nadie avisó",
    "Tuve que llamar tres veces",
    "El pago fue rechazado dos veces",
    "Me cobraron de más en la factura",
)
# How long `pulso serve` may take to answer its health check (migrations, imports, DuckDB).
READY_SECONDS = 120.0
# After every post has its e-mail, wait this much longer for a late second copy (a duplicate).
DUPLICATE_GRACE_SECONDS = 3.0
Queue = Literal["sqlite", "redis"]


class BenchError(Exception):
    """The benchmark could not be set up or run (not a finding about Pulso)."""


@dataclass(frozen=True, slots=True)
class LoopConfig:
    rate: float = 50.0
    seconds: float = 300.0
    warmup: float = 10.0
    drain: float = 30.0
    threads: int = 8
    database_url: str | None = None  # None: SQLite in the scratch data dir; else a PostgreSQL URL to create
    queue: Queue = "sqlite"
    redis_url: str = "redis://127.0.0.1:6379/14"
    separate_worker: bool = False
    worker_threads: int = 3
    agents: int = 4
    text: bool = False
    analytics_sync_seconds: float = 0.0
    keep: bool = False
    progress_seconds: float = 10.0

    @property
    def backend(self) -> dict[str, str]:
        return {
            "database": "postgresql" if self.database_url else "sqlite",
            "queue": self.queue,
            "consumer": f"pulso worker ({self.worker_threads} threads)"
            if self.separate_worker
            else "embedded in pulso serve (3 threads)",
        }


# --------------------------------------------------------------------------- the SMTP sink


@dataclass(frozen=True, slots=True)
class Arrival:
    at: float  # perf_counter when the message's data was complete
    external_id: str | None  # the one post id the message names; None when it names none or several
    delivery: str | None  # Pulso-Delivery: the notification's id
    recipients: tuple[str, ...]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SmtpSink:
    """An SMTP server on loopback that accepts every message and notes when it arrived and whose it is."""

    def __init__(self, tag: str) -> None:
        from aiosmtpd.controller import Controller

        self.tag = tag
        self.port = free_port()
        self._arrivals: list[Arrival] = []
        self._lock = threading.Lock()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port, ready_timeout=10)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        at = time.perf_counter()  # first: parsing is not part of the loop's latency
        message = message_from_bytes(envelope.content, policy=default_policy)
        text = str(message.get("Subject", ""))
        if isinstance(message, EmailMessage):
            body = message.get_body(preferencelist=("plain",))
            if isinstance(body, EmailMessage):
                text += "\n" + str(body.get_content())
        ids = logic.ids_in(text, self.tag)
        delivery = message.get("Pulso-Delivery")
        arrival = Arrival(
            at, ids[0] if len(ids) == 1 else None, str(delivery) if delivery else None, tuple(envelope.rcpt_tos)
        )
        with self._lock:
            self._arrivals.append(arrival)
        return "250 Message accepted for delivery"

    @property
    def arrivals(self) -> list[Arrival]:
        with self._lock:
            return list(self._arrivals)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()


# --------------------------------------------------------------------------- stores and setup


def _pg_database(url: str) -> tuple[str, Any]:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql"):
        raise BenchError("--database-url: a postgresql+psycopg:// URL (leave it out for the embedded SQLite)")
    name = parsed.database or ""
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        raise BenchError(f"--database-url: the database name {name!r} must be lower case letters, digits and _")
    return name, parsed.set(database="postgres")


def create_database(url: str) -> None:
    """Create the benchmark's own PostgreSQL database; refuse one that exists (it may be someone's)."""
    from sqlalchemy import create_engine, text

    name, admin_url = _pg_database(url)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
                raise BenchError(
                    f"database {name} exists; the benchmark creates a fresh one and drops it after: "
                    "name a new one, or drop it"
                )
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()


def drop_database(url: str) -> None:
    from sqlalchemy import create_engine, text

    name, admin_url = _pg_database(url)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def redis_queue(redis_url: str) -> Any:
    """The Redis queue the server will use, checked empty: a queue with jobs in it is someone else's."""
    from pulso.config import Settings
    from pulso.worker import build_queue

    queue = build_queue(Settings(queue="redis", redis_url=redis_url))
    try:
        waiting = queue.pending_count() + queue.scheduled_count()
    except Exception as exc:  # redis-py's connection errors
        raise BenchError(f"Redis at {redis_url}: {type(exc).__name__}: {exc}") from exc
    if waiting:
        raise BenchError(f"the queue at {redis_url} holds {waiting} jobs: it is in use; pass another --redis-url")
    return queue


@dataclass(frozen=True, slots=True)
class Setup:
    token: str
    team_id: int
    policy_id: int
    agents: tuple[str, ...]


def set_up(data_dir: Path, database_url: str | None, *, customers: Sequence[str], agents: int) -> Setup:
    """Migrate the store; create the organisation, a team with agents, an SLA policy, the customers, a token.

    The customers are created up front with their external id as their name, so that the name — and
    with it the post's id — is in the case's title and in its e-mail. The rule is created later
    through the API, so that its own queued rules run goes to the server's queue.
    """
    from pulso.accounts import service as accounts
    from pulso.accounts.enums import Role, TeamKind
    from pulso.accounts.schemas import Principal
    from pulso.cases import service as cases
    from pulso.cases.enums import Priority
    from pulso.cases.schemas import PolicyIn, TargetIn
    from pulso.config import Settings
    from pulso.customers import service as customer_service
    from pulso.kit.db import utcnow
    from pulso.runtime import Runtime, set_runtime

    settings = Settings(
        data_dir=data_dir, database_url=database_url, queue="immediate", timezone=TIMEZONE, analytics_sync_seconds=0
    )
    runtime = Runtime(settings)
    set_runtime(runtime)
    try:
        runtime.migrate()
        admin = Principal(role=Role.ADMIN)
        with runtime.sessions() as session, session.begin():
            accounts.ensure_organization(session, name="Bench loop", timezone=TIMEZONE)
            team = accounts.create_team(session, name="Bench loop", kind=TeamKind.SERVICE)
            emails = tuple(f"agent{i + 1}@bench.example.com" for i in range(agents))
            for i, address in enumerate(emails):
                accounts.create_user(session, email=address, name=f"Agent {i + 1}", role=Role.AGENT, team_id=team.id)
            calendar = cases.preset_calendar(session, "MX")
            targets = [
                TargetIn(priority=Priority.HIGH, first_contact_minutes=240, resolution_minutes=2 * 24 * 60),
                TargetIn(priority=Priority.NORMAL, first_contact_minutes=480, resolution_minutes=5 * 24 * 60),
            ]
            policy = cases.save_policy(
                session, admin, PolicyIn(name="Detractors", calendar_id=calendar.id, targets=targets)
            )
            frame = pl.DataFrame({"external_id": list(customers), "name": list(customers)})
            customer_service.upsert_customers(session, frame, now=utcnow())
            token = accounts.create_token(session, name="bench cases", role=Role.CX_MANAGER)
            setup = Setup(token.token, team.id, policy.id, emails)
    finally:
        runtime.close()
    return setup


def rule_body(setup: Setup, *, applies_from: datetime) -> dict[str, Any]:
    """The rule the benchmark measures: NPS ≤ 6 opens a high-priority case, round-robin in the team."""
    return {
        "name": RULE_NAME,
        "condition": {"all": [{"field": "nps", "op": "lte", "value": 6}]},
        "priority": "high",
        "sla_policy_id": setup.policy_id,
        "team_id": setup.team_id,
        "assignment": "round_robin",
        "applies_from": applies_from.isoformat(),
    }


def feedback_body(post: Post, *, received_at: datetime) -> dict[str, Any]:
    """One detractor's feedback; its customer is the pre-created one named after the post's id."""
    return {
        "external_id": post.external_id,
        "source": "survey",
        "received_at": received_at.isoformat(),
        "customer": post.external_id,
        "channel": "web",
        "language": "es",
        "nps": post.index % 7,
        "comment": COMMENTS[post.index % len(COMMENTS)],
    }


# --------------------------------------------------------------------------- processes


@dataclass
class Child:
    """A `pulso` subprocess with its log file."""

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path
    log: IO[bytes]

    def alive(self) -> bool:
        return self.process.poll() is None

    def tail(self, lines: int = 30) -> str:
        self.log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def cpu_seconds(self) -> float | None:
        try:
            times = psutil.Process(self.process.pid).cpu_times()
        except psutil.Error:
            return None
        return float(times.user + times.system)

    def stop(self, timeout: float = 30.0) -> None:
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=timeout)
        self.log.close()


def server_env(config: LoopConfig, data_dir: Path, smtp_port: int, http_port: int) -> dict[str, str]:
    """The environment of the server and worker: this process's, less any PULSO_* setting, plus the bench's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULSO_")}
    env |= {
        "PULSO_DATA_DIR": str(data_dir),
        "PULSO_QUEUE": config.queue,
        "PULSO_REDIS_URL": config.redis_url,
        "PULSO_SMTP_HOST": "127.0.0.1",
        "PULSO_SMTP_PORT": str(smtp_port),
        "PULSO_TEXT_ANALYSIS": "true" if config.text else "false",
        "PULSO_ANALYTICS_SYNC_SECONDS": str(config.analytics_sync_seconds),
        "PULSO_SERVE_WORKER": "false" if config.separate_worker else "true",
        "PULSO_TIMEZONE": TIMEZONE,
        "PULSO_PUBLIC_URL": f"http://127.0.0.1:{http_port}",
    }
    if config.database_url:
        env["PULSO_DATABASE_URL"] = config.database_url
    return env


def start_child(name: str, args: Sequence[str], env: dict[str, str], folder: Path) -> Child:
    log_path = folder / f"{name}.log"
    log = log_path.open("wb")
    # The scratch folder as working directory: no .env of the caller's is read.
    process = subprocess.Popen(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "pulso.cli", *args], env=env, cwd=folder, stdout=log, stderr=subprocess.STDOUT
    )
    return Child(name, process, log_path, log)


def wait_ready(client: httpx.Client, children: Sequence[Child]) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        for child in children:
            if not child.alive():
                raise BenchError(f"{child.name} exited with {child.process.returncode}:\n{child.tail()}")
        try:
            if client.get("/api/v1/health").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise BenchError(f"pulso serve did not answer within {READY_SECONDS:.0f} s:\n{children[0].tail()}")


# --------------------------------------------------------------------------- the load


@dataclass(slots=True)
class Post:
    index: int
    external_id: str
    due: float  # perf_counter when the schedule sends it
    sent: float | None = None
    answered: float | None = None
    status: int | None = None
    error: str | None = None

    @property
    def accepted(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def send_all(base_url: str, token: str, posts: Sequence[Post], *, threads: int, timeout: float = 30.0) -> None:
    """Post each feedback at its due time from a few threads (open loop: the schedule, not the answers, paces)."""
    lock = threading.Lock()
    order = iter(posts)

    def work() -> None:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base_url, headers=headers, timeout=timeout) as client:
            while True:
                with lock:
                    post = next(order, None)
                if post is None:
                    return
                delay = post.due - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                post.sent = time.perf_counter()
                body = feedback_body(post, received_at=datetime.now(UTC))
                try:
                    response = client.post("/api/v1/feedback", json=body)
                    post.status = response.status_code
                    if not response.is_success:
                        post.error = response.text[:300]
                except httpx.HTTPError as exc:
                    post.error = f"{type(exc).__name__}: {exc}"
                post.answered = time.perf_counter()

    pool = [threading.Thread(target=work, name=f"bench-post-{i}", daemon=True) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()


@dataclass
class Monitor:
    """Samples the load average and CPU use (the machine's, the server's, the worker's) while the run goes."""

    children: Sequence[Child]
    report_every: float
    report: Callable[[dict[str, Any]], None] | None = None
    every: float = 2.0
    samples: list[dict[str, Any]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def _sample(self, processes: dict[str, psutil.Process]) -> dict[str, Any]:
        sample: dict[str, Any] = {
            "t": time.perf_counter(),
            "load1": round(os.getloadavg()[0], 2),
            "system_cpu_percent": psutil.cpu_percent(interval=None),
        }
        for name, process in processes.items():
            try:
                sample[f"{name}_cpu_percent"] = process.cpu_percent(interval=None)
            except psutil.Error:
                sample[f"{name}_cpu_percent"] = None
        return sample

    def _run(self) -> None:
        processes = {c.name: psutil.Process(c.process.pid) for c in self.children}
        processes["bench"] = psutil.Process()
        self._sample(processes)  # the CPU figures of the next sample are measured from here
        reported = time.perf_counter()
        while not self._stop.wait(self.every):
            sample = self._sample(processes)
            self.samples.append(sample)
            if self.report is not None and sample["t"] - reported >= self.report_every - 0.01:
                reported = sample["t"]
                self.report(sample)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="bench-monitor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


# --------------------------------------------------------------------------- what the store says


@dataclass
class StoreFacts:
    cases: int
    notifications: dict[str, int]  # status -> e-mails of case.opened
    traces: dict[str, tuple[float | None, float | None]]  # external id -> (case opened, e-mail published), wall
    notes: dict[str, dict[str, Any]]  # external id -> its case and e-mail state (for the missing ones)
    rules_runs: int  # distinct opened_at values: the rules runs that opened cases


def read_store(url: str) -> StoreFacts:
    """Counts and per-post instants from the operational store, after the run."""
    from sqlalchemy import func, select

    from pulso.cases.models import Case
    from pulso.feedback.models import Feedback
    from pulso.kit.db import make_engine
    from pulso.notifications.models import Notification

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            cases = int(conn.execute(select(func.count()).select_from(Case)).scalar_one())
            opened = conn.execute(
                select(Feedback.external_id, Case.id, Case.opened_at).join(Case, Case.feedback_id == Feedback.id)
            ).all()
            mails = conn.execute(
                select(
                    Notification.key,
                    Notification.status,
                    Notification.created_at,
                    Notification.attempts,
                    Notification.last_error,
                ).where(Notification.event == "case.opened")
            ).all()
    finally:
        engine.dispose()
    by_case = {row.key: row for row in mails}
    statuses: dict[str, int] = {}
    for row in mails:
        statuses[str(row.status)] = statuses.get(str(row.status), 0) + 1
    traces: dict[str, tuple[float | None, float | None]] = {}
    notes: dict[str, dict[str, Any]] = {}
    for external, case_id, opened_at in opened:
        mail = by_case.get(f"case:{case_id}")
        traces[external] = (opened_at.timestamp(), mail.created_at.timestamp() if mail else None)
        notes[external] = {
            "case": case_id,
            "email": str(mail.status) if mail else None,
            "attempts": mail.attempts if mail else None,
            "last_error": mail.last_error if mail else None,
        }
    return StoreFacts(cases, statuses, traces, notes, len({row.opened_at for row in opened}))


# --------------------------------------------------------------------------- the run


def _commit() -> str | None:
    """The checked-out commit of this tree, when it is a git checkout (runs are compared across commits)."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 - git from PATH, read-only
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None


def _own_cpu() -> float:
    times = psutil.Process().cpu_times()
    return float(times.user + times.system)


def _spent(after: float | None, before: float | None) -> float | None:
    return after - before if after is not None and before is not None else None


def _ms(value: logic.Latency | None) -> dict[str, float | int] | None:
    return value.as_ms() if value is not None else None


def run(config: LoopConfig, log: Callable[[str], None]) -> dict[str, Any]:
    """Set up, start the server (and worker), post at the rate, drain, and report; see docs/benchmarks.md."""
    if config.rate * (config.warmup + config.seconds) >= 1_000_000:
        raise BenchError("at most 999,999 posts in a run")
    tag = secrets.token_hex(3)
    schedule = logic.send_schedule(config.rate, config.warmup + config.seconds)
    if not schedule:
        raise BenchError("nothing to send: rate × (warmup + seconds) rounds to 0 posts")
    ids = [logic.external_id(tag, i) for i in range(len(schedule))]
    folder = Path(tempfile.mkdtemp(prefix="pulso-bench-cases-"))
    data_dir = folder / "data"
    url = config.database_url or f"sqlite:///{(data_dir / 'pulso.db').resolve()}"
    created_database = False
    queue = None
    children: list[Child] = []
    monitor: Monitor | None = None
    sink = SmtpSink(tag)
    sink_started = False
    try:
        if config.database_url:
            create_database(config.database_url)
            created_database = True
        if config.queue == "redis":
            queue = redis_queue(config.redis_url)
        log(f"setting up {len(ids):,} customers, {config.agents} agents, an SLA policy and a token in {folder}")
        setup = set_up(data_dir, config.database_url, customers=ids, agents=config.agents)
        sink.start()
        sink_started = True
        http_port = free_port()
        env = server_env(config, data_dir, sink.port, http_port)
        children.append(start_child("server", ["serve", "--port", str(http_port)], env, folder))
        if config.separate_worker:
            children.append(start_child("worker", ["worker", "--workers", str(config.worker_threads)], env, folder))
        base = f"http://127.0.0.1:{http_port}"
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {setup.token}"}, timeout=30) as client:
            wait_ready(client, children)
            response = client.post(
                "/api/v1/case-rules", json=rule_body(setup, applies_from=datetime.now(UTC) - timedelta(hours=1))
            )
            if response.status_code != 201:
                raise BenchError(f"creating the rule: HTTP {response.status_code} {response.text[:300]}")
        # The server's wall-clock instants (opened_at, created_at) on this process's perf_counter clock.
        wall_minus_perf = time.time() - time.perf_counter()
        load_before = os.getloadavg()
        started_at = datetime.now(UTC)

        def progress(sample: dict[str, Any]) -> None:
            got = len(sink.arrivals)
            done = sum(1 for p in posts if p.answered is not None)
            log(
                f"  {done:,}/{len(posts):,} posted, {got:,} e-mails, load {sample['load1']}, "
                f"CPU {sample['system_cpu_percent']:.0f} % (server {sample.get('server_cpu_percent') or 0:.0f} %)"
            )

        start = time.perf_counter() + 0.5
        posts = [Post(i, ids[i], start + offset) for i, offset in enumerate(schedule)]
        monitor = Monitor(children, config.progress_seconds, progress)
        cpu_before = {c.name: c.cpu_seconds() for c in children} | {"bench": _own_cpu()}
        monitor.start()
        log(
            f"posting {len(posts):,} detractors at {config.rate:g}/s for {config.warmup:g} + {config.seconds:g} s "
            f"from {config.threads} threads"
        )
        send_all(base, setup.token, posts, threads=config.threads)
        last_sent = max(p.sent or 0.0 for p in posts)
        # Drain: until every post has its e-mail (then a short grace for a late copy), or the drain time is over.
        expected = {p.external_id for p in posts}
        deadline = last_sent + config.drain
        while time.perf_counter() < deadline:
            if expected <= {a.external_id for a in sink.arrivals}:
                time.sleep(min(DUPLICATE_GRACE_SECONDS, max(0.0, deadline - time.perf_counter())))
                break
            time.sleep(0.1)
        drained = time.perf_counter()
        monitor.stop()
        cpu = {c.name: _spent(c.cpu_seconds(), cpu_before[c.name]) for c in children}
        cpu["bench"] = _spent(_own_cpu(), cpu_before["bench"])
        for child in children:
            child.stop()
        load_after = os.getloadavg()
        facts = read_store(url)
        arrivals = sink.arrivals
        return _report(
            config,
            posts=posts,
            arrivals=arrivals,
            facts=facts,
            wall_minus_perf=wall_minus_perf,
            samples=monitor.samples,
            load=(load_before, load_after),
            cpu=cpu,
            span=(start, drained),
            started_at=started_at,
            folder=folder,
        )
    finally:
        if monitor is not None:
            monitor.stop()
        for child in children:
            child.stop()
        if sink_started:
            sink.stop()
        if created_database and config.database_url and not config.keep:
            drop_database(config.database_url)
        if queue is not None:
            queue.flush()
        if not config.keep:
            shutil.rmtree(folder, ignore_errors=True)


def _report(
    config: LoopConfig,
    *,
    posts: Sequence[Post],
    arrivals: Sequence[Arrival],
    facts: StoreFacts,
    wall_minus_perf: float,
    samples: Sequence[dict[str, Any]],
    load: tuple[tuple[float, float, float], tuple[float, float, float]],
    cpu: dict[str, float | None],
    span: tuple[float, float],
    started_at: datetime,
    folder: Path,
) -> dict[str, Any]:
    matching = logic.match_arrivals({p.external_id: p.due for p in posts}, [(a.external_id, a.at) for a in arrivals])
    accepted = sum(1 for p in posts if p.accepted)
    problems = logic.loop_problems(sent=len(posts), accepted=accepted, cases=facts.cases, matching=matching)
    measured_from = posts[0].due + config.warmup
    latencies = matching.latencies
    measured = [latencies[p.external_id] for p in posts if p.due >= measured_from and p.external_id in latencies]
    first_arrival: dict[str, float] = {}
    for arrival in sorted(arrivals, key=lambda a: a.at):
        if arrival.external_id is not None:
            first_arrival.setdefault(arrival.external_id, arrival.at)
    traces = []
    for post in posts:
        if post.due < measured_from or post.sent is None:
            continue
        opened, published = facts.traces.get(post.external_id, (None, None))
        traces.append(
            logic.Trace(
                sent=post.sent,
                answered=post.answered,
                opened=opened - wall_minus_perf if opened is not None else None,
                published=published - wall_minus_perf if published is not None else None,
                arrived=first_arrival.get(post.external_id),
            )
        )
    stages = logic.stage_breakdown(traces)
    sends = [p.sent for p in posts if p.sent is not None]
    lateness = [p.sent - p.due for p in posts if p.sent is not None]
    post_times = [p.answered - p.sent for p in posts if p.sent is not None and p.answered is not None]
    errors: dict[str, int] = {}
    for post in posts:
        if not post.accepted:
            key = f"HTTP {post.status}" if post.status is not None else (post.error or "not sent").split(":")[0]
            errors[key] = errors.get(key, 0) + 1
    load1 = [s["load1"] for s in samples]
    system_cpu = [s["system_cpu_percent"] for s in samples]
    seconds = span[1] - span[0]
    info = machine()
    info["memory_gb"] = f"{psutil.virtual_memory().total / 2**30:.1f}"
    missing_sample = [{"external_id": key, **facts.notes.get(key, {"case": None})} for key in matching.missing[:20]]
    return {
        "benchmark": "cases",
        "started_at": started_at.isoformat(timespec="seconds"),
        "backend": config.backend,
        "commit": _commit(),
        "config": {
            "rate": config.rate,
            "seconds": config.seconds,
            "warmup": config.warmup,
            "drain": config.drain,
            "threads": config.threads,
            "agents": config.agents,
            "text_analysis": config.text,
            "analytics_sync_seconds": config.analytics_sync_seconds,
        },
        "counts": {
            "sent": len(posts),
            "accepted": accepted,
            "not_accepted": errors,
            "cases": facts.cases,
            "emails": len(arrivals),
            "matched": len(matching.latencies),
            "duplicates": matching.duplicated,
            "missing": len(matching.missing),
            "unexpected": matching.unexpected,
            "case_emails_by_status": facts.notifications,
            "rules_runs_that_opened_cases": facts.rules_runs,
        },
        "ok": not problems,
        "problems": problems,
        "missing_sample": missing_sample,
        "latency_ms": _ms(logic.latency(measured)),
        "latency_with_warmup_ms": _ms(logic.latency(list(matching.latencies.values()))),
        "stages_ms": {name: _ms(value) for name, value in stages.items()},
        "post_ms": _ms(logic.latency(post_times)),
        "send_lateness_ms": _ms(logic.latency(lateness)),
        "achieved_rate": round(rate, 2) if (rate := logic.achieved_rate(sends)) is not None else None,
        "machine": {
            **info,
            "load_average": {
                "before": [round(x, 2) for x in load[0]],
                "during_1min": {
                    "min": min(load1, default=None),
                    "max": max(load1, default=None),
                    "mean": round(sum(load1) / len(load1), 2) if load1 else None,
                },
                "after": [round(x, 2) for x in load[1]],
            },
            "system_cpu_percent_mean": round(sum(system_cpu) / len(system_cpu), 1) if system_cpu else None,
            "cpu_seconds_during_run": {k: round(v, 1) if v is not None else None for k, v in cpu.items()},
            "run_seconds": round(seconds, 1),
        },
        "samples": [{**s, "t": round(s["t"] - span[0], 1)} for s in samples],
        "scratch": str(folder) if config.keep else None,
    }
