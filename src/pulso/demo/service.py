"""Build the demo organisation in a store: Casa Nova's people and journey, then a year of data.

The organisation, teams, people, journey and catalogue are written in one transaction; customers,
interactions and feedback then go through the import pipeline, exactly as a customer's files would
(so the demo also exercises validation, batching and the analytic sync).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path
from time import perf_counter

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pulso.accounts import service as accounts
from pulso.accounts.enums import Role, TeamKind
from pulso.accounts.models import Team, User
from pulso.catalog.models import Product
from pulso.demo import company
from pulso.demo.generator import DemoFrames, Plan, canonical, generate
from pulso.feedback import service as feedback
from pulso.feedback.enums import FeedbackSource, ImportKind
from pulso.feedback.schemas import ImportOptions, ImportReport
from pulso.interactions.enums import Channel
from pulso.journeys.enums import BlueprintLayer
from pulso.journeys.models import Journey, Stage, Touchpoint
from pulso.kit.errors import Conflict
from pulso.runtime import Runtime

# Above this size the demo's comments are left to the background analysis (≈1,000 comments a second).
TEXT_ANALYSIS_MAX_SIZE = 200_000

DemoProgress = Callable[[str, int, int], None]
"""Called as progress(step, done, total); steps: generate, comments, organisation, customers,
interactions, feedback, text, cases."""

MARKER = "demo.json"
IMPORT_PART = 1_000_000
STEPS = ("generate", "comments", "organisation", "customers", "interactions", "feedback")


@dataclass(frozen=True)
class DemoSummary:
    """What was built, and the admin's credentials (the only time the password is known)."""

    organization: str
    timezone: str
    size: int
    seed: int
    start: date
    end: date
    admin_email: str
    admin_password: str
    api_token: str
    teams: int
    users: int
    stages: int
    touchpoints: int
    products: int
    customers: int
    interactions: int
    feedback: int
    rejected: int
    cases: int
    seconds: float


@dataclass(frozen=True)
class DemoMarker:
    """Left in the data dir after a build, so that `pulso demo` can tell what it holds."""

    size: int
    seed: int
    start: str
    end: str
    built_at: str
    admin_email: str

    def same_as(self, size: int, seed: int) -> bool:
        return self.size == size and self.seed == seed


def read_marker(data_dir: Path) -> DemoMarker | None:
    path = data_dir / MARKER
    if not path.is_file():
        return None
    try:
        return DemoMarker(**json.loads(path.read_text()))
    except (ValueError, TypeError):
        return None


def write_marker(data_dir: Path, summary: DemoSummary, *, now: datetime) -> None:
    marker = DemoMarker(
        size=summary.size,
        seed=summary.seed,
        start=summary.start.isoformat(),
        end=summary.end.isoformat(),
        built_at=now.isoformat(timespec="seconds"),
        admin_email=summary.admin_email,
    )
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / MARKER).write_text(json.dumps(asdict(marker), indent=2) + "\n")


def store_is_empty(runtime: Runtime) -> bool:
    """True when the operational store holds no teams, users or feedback yet."""
    from pulso.feedback.models import Feedback

    with runtime.sessions() as session:
        return all(session.scalar(select(func.count()).select_from(model)) == 0 for model in (Team, User, Feedback))


def new_token(runtime: Runtime, *, name: str = "demo") -> str:
    """A fresh API token for the demo's admin (for a demo that was built earlier)."""
    with runtime.sessions() as session, session.begin():
        admin = session.scalar(select(User).where(User.email == company.ADMIN_EMAIL))
        created = accounts.create_token(
            session, name=name, role=Role.CX_MANAGER, user_id=admin.id if admin is not None else None
        )
        return created.token


def build_demo(
    runtime: Runtime,
    *,
    size: int = 50_000,
    seed: int = 7,
    now: datetime,
    progress: DemoProgress | None = None,
    analyze_text: bool | None = None,
) -> DemoSummary:
    """Create Casa Nova with `size` feedback rows over the twelve months that end the day before `now`.

    Its comments are analysed too (language, sentiment, topics) up to TEXT_ANALYSIS_MAX_SIZE rows, or as
    `analyze_text` says; above that the queue's periodic run reads them in the background.
    """
    started = perf_counter()
    if not store_is_empty(runtime):
        raise Conflict(
            "the store already holds data; use an empty data dir (--data-dir) or --rebuild / "
            "la base ya tiene datos; use una carpeta vacía (--data-dir) o --rebuild"
        )
    with runtime.sessions() as session:
        timezone = accounts.organization_timezone(session, default=runtime.settings.timezone)
    plan = Plan.ending_yesterday(size, seed, now, timezone)

    def report(step: str) -> Callable[[int, int], None]:
        def call(done: int, total: int) -> None:
            if progress is not None:
                progress(step, done, total)

        return call

    frames = generate(plan, progress=progress)
    structure = {name: getattr(frames, name).height for name in ("teams", "users", "stages", "touchpoints", "products")}

    password = secrets.token_urlsafe(12)
    with runtime.sessions() as session, session.begin():
        token = _create_organisation(session, frames, timezone=timezone, password=password)
    report("organisation")(1, 1)

    # Keep only the canonical columns, and let each frame go once it is imported: at ten million rows
    # the generator's own columns and the imported frames are gigabytes.
    pending = [
        (ImportKind.CUSTOMERS, canonical(frames.customers)),
        (ImportKind.INTERACTIONS, canonical(frames.interactions)),
        (ImportKind.FEEDBACK, canonical(frames.feedback)),
    ]
    del frames
    reports: dict[ImportKind, list[ImportReport]] = {}
    while pending:
        kind, frame = pending.pop(0)
        reports[kind] = _import_in_parts(runtime, kind, frame, sync=not pending, progress=report(kind.value))
        del frame

    if analyze_text is None:
        analyze_text = size <= TEXT_ANALYSIS_MAX_SIZE
    if analyze_text:
        from pulso.text import service as text

        text.analyze_pending(runtime.sessions, progress=report("text"))
    from pulso.demo.closed_loop import build_closed_loop

    loop = build_closed_loop(runtime, now=now, size=size, seed=seed)
    report("cases")(1, 1)

    def stored(kind: ImportKind) -> int:
        return sum(r.inserted + r.updated for r in reports[kind])

    return DemoSummary(
        organization=company.ORG_NAME,
        timezone=timezone,
        size=size,
        seed=seed,
        start=plan.start,
        end=plan.end,
        admin_email=company.ADMIN_EMAIL,
        admin_password=password,
        api_token=token,
        **structure,
        customers=stored(ImportKind.CUSTOMERS),
        interactions=stored(ImportKind.INTERACTIONS),
        feedback=stored(ImportKind.FEEDBACK),
        rejected=sum(r.rejected for parts in reports.values() for r in parts),
        cases=loop.cases,
        seconds=perf_counter() - started,
    )


def _import_in_parts(
    runtime: Runtime, kind: ImportKind, frame: pl.DataFrame, *, sync: bool, progress: Callable[[int, int], None]
) -> list[ImportReport]:
    """Import a frame in parts of IMPORT_PART rows, which bounds the import's memory at benchmark sizes."""
    total = frame.height
    parts = max(1, -(-total // IMPORT_PART))
    reports = []
    for i in range(parts):
        offset = i * IMPORT_PART
        options = ImportOptions(kind=kind, default_source=FeedbackSource.SURVEY, sync_analytics=sync and i == parts - 1)
        name = f"demo-{kind.value}" + (f"-{i + 1}-of-{parts}" if parts > 1 else "")
        reports.append(
            feedback.import_frame(
                runtime,
                frame.slice(offset, IMPORT_PART),
                options,
                name=name,
                progress=_shifted(progress, offset, total),
            )
        )
    return reports


def _shifted(progress: Callable[[int, int], None], offset: int, total: int) -> Callable[[int, int], None]:
    """A part's progress as progress through the whole frame."""

    def call(done: int, _part_total: int) -> None:
        progress(offset + done, total)

    return call


def _create_organisation(session: Session, frames: DemoFrames, *, timezone: str, password: str) -> str:
    """Organisation, teams, people, journey and products; returns a new API token for the admin."""
    org = accounts.ensure_organization(session, name=company.ORG_NAME, timezone=timezone)
    org.name = company.ORG_NAME

    team_ids: dict[str, int] = {}
    for row in frames.teams.iter_rows(named=True):
        parent = team_ids[row["parent"]] if row["parent"] else None
        team = accounts.create_team(
            session, name=row["name"], kind=TeamKind(row["kind"]), code=row["code"], parent_id=parent
        )
        team_ids[team.name] = team.id

    admin_id = 0
    for row in frames.users.iter_rows(named=True):
        is_admin = row["email"] == company.ADMIN_EMAIL
        user = accounts.create_user(
            session,
            email=row["email"],
            name=row["name"],
            role=Role(row["role"]),
            # One password only: argon2 is slow on purpose, and the others sign in once an admin invites them.
            password=password if is_admin else None,
            team_id=team_ids[row["team"]] if row["team"] else None,
            code=row["code"],
        )
        if is_admin:
            admin_id = user.id

    journey = Journey(
        name=company.JOURNEY_NAME[0], name_en=company.JOURNEY_NAME[1], description=company.JOURNEY_DESCRIPTION
    )
    session.add(journey)
    session.flush()
    stage_ids: dict[int, int] = {}
    for row in frames.stages.iter_rows(named=True):
        stage = Stage(journey_id=journey.id, position=row["position"], name=row["name"], name_en=row["name_en"])
        session.add(stage)
        session.flush()
        stage_ids[row["position"]] = stage.id
    session.add_all(
        Touchpoint(
            stage_id=stage_ids[row["stage"]],
            code=row["code"],
            name=row["name"],
            name_en=row["name_en"],
            channel=Channel(row["channel"]),
            owner_team_id=team_ids[row["owner_team"]],
            layer=BlueprintLayer(row["layer"]),
            is_moment_of_truth=row["is_moment_of_truth"],
        )
        for row in frames.touchpoints.iter_rows(named=True)
    )
    session.add_all(
        Product(sku=row["sku"], name=row["name"], category=row["category"], launched_on=row["launched_on"])
        for row in frames.products.iter_rows(named=True)
    )
    session.flush()
    return accounts.create_token(session, name="demo", role=Role.CX_MANAGER, user_id=admin_id).token
