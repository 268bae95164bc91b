"""Public entry points of the feedback domain: imports of feedback, interactions and customers.

An import is a job boundary: it opens its own transactions. It reads the whole file into polars
(every cell as text), parses and validates whole columns, resolves codes against small lookup
frames, then writes in batches. Each batch is one transaction together with the import's checkpoint
(`import_runs.rows_done`), so an interrupted import leaves no partial batch and the same command
resumes where it stopped.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import json
import logging
import re
import secrets
import shutil
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path
from time import perf_counter, time
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

import polars as pl
from sqlalchemy import ColumnElement, Connection, false, func, select, true, update
from sqlalchemy.orm import Session

from pulso.accounts import service as accounts
from pulso.accounts.enums import Role
from pulso.accounts.models import User
from pulso.accounts.schemas import Principal
from pulso.analytics.service import Follower
from pulso.customers import service as customers
from pulso.feedback import logic, repository
from pulso.feedback.enums import FeedbackSource, ImportKind, ImportStatus
from pulso.feedback.logic import ROW, ColumnPlan, ParseContext, SyntheticCatalog, UnusableFile
from pulso.feedback.models import Feedback, ImportRowError, ImportRun
from pulso.feedback.repository import FeedbackFilters
from pulso.feedback.schemas import FeedbackIn, ImportOptions, ImportReport, RowError
from pulso.interactions import service as interactions
from pulso.kit.bulk import UpsertCounts
from pulso.kit.changes import next_version
from pulso.kit.db import utcnow
from pulso.kit.errors import NotFound, PayloadTooLarge, PulsoError
from pulso.kit.pagination import Page, PageParams
from pulso.runtime import Runtime

__all__ = [
    "FeedbackFilters",
    "ImportOptions",
    "ImportReport",
    "RowError",
    "UnusableFile",
    "get_feedback",
    "get_import",
    "import_file",
    "import_frame",
    "import_items",
    "list_feedback",
    "synthetic_feedback_csv",
]

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]

_POS = "__pos"  # position of the row in the source, 0-based: what the checkpoint counts
_SQLITE_IMPORT_CACHE_KIB = 256 * 1024  # 256 MB

# --- reading files -----------------------------------------------------------------------------

_FORMATS = {
    ".csv": "delimited",
    ".txt": "delimited",
    ".tsv": "delimited",
    ".tab": "delimited",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".parquet": "parquet",
    ".pq": "parquet",
}


def detect_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise UnusableFile(
            f"{path.name}: old Excel (.xls) files are not supported; save it as .xlsx / "
            "los archivos .xls antiguos no se admiten; guárdelo como .xlsx"
        )
    fmt = _FORMATS.get(suffix)
    if fmt is None:
        known = ", ".join(sorted(_FORMATS))
        raise UnusableFile(
            f"{path.name}: unknown format '{suffix or '(none)'}'; use one of {known} / "
            f"formato desconocido; use uno de {known}"
        )
    return fmt


def decode_text(data: bytes, encoding: str | None) -> tuple[str, str]:
    """The file's text and the encoding it was read with (given, or sniffed: UTF-8 else cp1252)."""
    if encoding:
        try:
            codec = codecs.lookup(encoding).name
        except LookupError as exc:
            raise UnusableFile(f"encoding: unknown encoding {encoding!r} / codificación desconocida") from exc
        try:
            text = data.decode(codec)
        except UnicodeDecodeError as exc:
            raise UnusableFile(
                f"the file is not valid {encoding}: byte {exc.start} cannot be decoded; "
                f"try --encoding utf-8 or cp1252 / el archivo no es {encoding} válido"
            ) from exc
        return text.removeprefix("\ufeff"), codec
    if data.startswith(codecs.BOM_UTF8):
        return _decode_utf8(data[3:]), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16").removeprefix("\ufeff"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        # The five bytes cp1252 leaves undefined: read them as Latin-1 rather than fail.
        return data.decode("latin-1"), "latin-1"


def _decode_utf8(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnusableFile(
            f"the file starts with a UTF-8 mark but byte {exc.start} is not UTF-8 / "
            "el archivo dice ser UTF-8 pero no lo es"
        ) from exc


def _add_row_numbers(frame: pl.DataFrame, first_row: int) -> pl.DataFrame:
    return frame.with_row_index(ROW, offset=first_row).with_columns(pl.col(ROW).cast(pl.Int64))


def _read_delimited(path: Path, options: ImportOptions, n_rows: int | None = None) -> pl.DataFrame:
    data = path.read_bytes()
    encoding = options.encoding
    if encoding is None and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding_guess = "utf-8" if not data.startswith(codecs.BOM_UTF8) else "utf-8-sig"
        try:
            data.decode(encoding_guess)
            utf8 = data[3:] if encoding_guess == "utf-8-sig" else data  # already UTF-8: no copy needed
        except UnicodeDecodeError:
            utf8 = decode_text(data, None)[0].encode("utf-8")
    else:
        utf8 = decode_text(data, encoding)[0].encode("utf-8")
    del data
    first_line = utf8[: utf8.find(b"\n") if b"\n" in utf8 else len(utf8)].decode("utf-8", "replace")
    separator = logic.parse_separator(options.separator) if options.separator else logic.sniff_separator(first_line)
    if not first_line.strip():
        raise UnusableFile(f"{path.name}: the file is empty or has no header / el archivo está vacío")
    try:
        frame = pl.read_csv(
            io.BytesIO(utf8),
            separator=separator,
            infer_schema=False,
            has_header=True,
            quote_char='"',
            raise_if_empty=False,
            n_rows=n_rows,
        )
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UnusableFile(
            f"{path.name}: cannot be read as a table separated by {separator!r}: {first} — "
            f"try --separator / no se puede leer como tabla separada por {separator!r}"
        ) from exc
    frame = frame.rename({c: c.strip() for c in frame.columns})
    # Rows are numbered as a text editor shows them: header = 1, and a quoted cell spanning several
    # lines pushes the following rows down.
    text_columns = [c for c, t in frame.schema.items() if t == pl.String]
    embedded = [pl.col(c).str.count_matches("\n", literal=True).fill_null(0) for c in text_columns]
    has_newlines = (
        bool(text_columns)
        and frame.select(
            pl.any_horizontal(pl.col(c).str.contains("\n", literal=True).any() for c in text_columns)
        ).item()
    )
    if has_newlines:
        extra = frame.select(pl.sum_horizontal(embedded).alias("n"))["n"]
        rows = pl.Series(ROW, range(2, frame.height + 2), dtype=pl.Int64) + extra.cum_sum().shift(1, fill_value=0)
        return frame.with_columns(rows.alias(ROW)).select(ROW, *frame.columns)
    return _add_row_numbers(frame, 2)


def _read_jsonl(path: Path, options: ImportOptions) -> pl.DataFrame:
    text, _ = decode_text(path.read_bytes(), options.encoding)
    lines = text.splitlines()
    numbers = [i for i, line in enumerate(lines, start=1) if line.strip()]
    try:
        frame = pl.read_ndjson(io.BytesIO("\n".join(lines[i - 1] for i in numbers).encode()), infer_schema_length=None)
    except pl.exceptions.PolarsError as exc:
        raise UnusableFile(f"{path.name}: not valid JSON Lines: {exc} / no es JSON Lines válido") from exc
    return frame.with_columns(pl.Series(ROW, numbers, dtype=pl.Int64)).select(ROW, *frame.columns)


def _read_json(path: Path, options: ImportOptions) -> pl.DataFrame:
    text, _ = decode_text(path.read_bytes(), options.encoding)
    if not text.lstrip().startswith("["):
        return _read_jsonl(path, options)
    try:
        frame = pl.read_json(io.BytesIO(text.encode()), infer_schema_length=None)
    except pl.exceptions.PolarsError as exc:
        raise UnusableFile(f"{path.name}: not a JSON array of objects: {exc} / no es un arreglo JSON") from exc
    return _add_row_numbers(frame, 1)


def _read_excel(path: Path, options: ImportOptions, n_rows: int | None = None) -> pl.DataFrame:
    import fastexcel

    try:
        workbook = fastexcel.read_excel(str(path))
    except Exception as exc:  # fastexcel raises its own error types for damaged files
        raise UnusableFile(
            f"{path.name}: cannot be read as an Excel workbook: {exc} / no es un libro de Excel"
        ) from exc
    names = list(workbook.sheet_names)
    sheet = options.sheet if options.sheet is not None else names[0]
    if sheet not in names:
        listed = ", ".join(f"'{n}'" for n in names)
        raise UnusableFile(f"sheet '{sheet}' not found; the workbook has {listed} / la hoja no existe; hay {listed}")
    frame = pl.read_excel(
        path,
        sheet_name=sheet,
        engine="calamine",
        drop_empty_rows=False,
        drop_empty_cols=False,
        infer_schema_length=None,
        raise_if_empty=False,
        read_options={"n_rows": n_rows} if n_rows is not None else None,
    )
    frame = frame.rename({c: str(c).strip() for c in frame.columns})
    return _add_row_numbers(frame, 2)


def _read_parquet(path: Path, n_rows: int | None = None) -> pl.DataFrame:
    try:
        frame = pl.read_parquet(path, n_rows=n_rows)
    except pl.exceptions.PolarsError as exc:
        raise UnusableFile(f"{path.name}: not a valid Parquet file: {exc} / no es Parquet válido") from exc
    return _add_row_numbers(frame, 1)


def read_table(path: Path, options: ImportOptions) -> pl.DataFrame:
    """The file as a frame with a ROW column; cells as text where the format has no types."""
    fmt = detect_format(path)
    if fmt == "delimited":
        frame = _read_delimited(path, options)
    elif fmt == "jsonl":
        frame = _read_jsonl(path, options)
    elif fmt == "json":
        frame = _read_json(path, options)
    elif fmt == "excel":
        frame = _read_excel(path, options)
    else:
        frame = _read_parquet(path)
    return _drop_empty_rows(frame)


def _drop_empty_rows(frame: pl.DataFrame) -> pl.DataFrame:
    data = [c for c in frame.columns if c != ROW]
    if not data:
        return frame
    empty = [
        (pl.col(c).is_null() | (pl.col(c).str.strip_chars() == "")) if t == pl.String else pl.col(c).is_null()
        for c, t in frame.schema.items()
        if c != ROW
    ]
    return frame.filter(~pl.all_horizontal(empty))


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --- the import --------------------------------------------------------------------------------


def import_file(
    runtime: Runtime,
    path: Path,
    options: ImportOptions,
    *,
    progress: Progress | None = None,
    user_id: int | None = None,
) -> ImportReport:
    """Import a CSV, JSON Lines, Excel or Parquet file; raises UnusableFile when it cannot be read."""
    started = perf_counter()
    path = Path(path)
    if not path.is_file():
        raise UnusableFile(f"{path}: no such file / no existe el archivo")
    frame = read_table(path, options)
    return _run_import(
        runtime,
        frame,
        options,
        name=path.name,
        sha256=_file_sha256(path),
        progress=progress,
        user_id=user_id,
        started=started,
    )


def import_frame(
    runtime: Runtime,
    frame: pl.DataFrame,
    options: ImportOptions,
    *,
    name: str,
    progress: Progress | None = None,
    user_id: int | None = None,
) -> ImportReport:
    """Import a frame whose columns are canonical names (typed or text); rows are numbered from 1,
    and rows with every cell empty are skipped."""
    return _import_frame(runtime, frame, options, name=name, progress=progress, user_id=user_id, skip_empty=True)


def _import_frame(
    runtime: Runtime,
    frame: pl.DataFrame,
    options: ImportOptions,
    *,
    name: str,
    progress: Progress | None,
    user_id: int | None,
    skip_empty: bool,
) -> ImportReport:
    started = perf_counter()
    if ROW not in frame.columns:
        frame = _add_row_numbers(frame, 1)
    if skip_empty:
        frame = _drop_empty_rows(frame)
    row_hashes = frame.drop(ROW).hash_rows(seed=0)
    digest = hashlib.sha256(
        f"{name}|{frame.height}|{','.join(frame.columns)}|{int(row_hashes.sum() or 0)}".encode()
    ).hexdigest()
    return _run_import(
        runtime, frame, options, name=name, sha256=digest, progress=progress, user_id=user_id, started=started
    )


def import_items(
    runtime: Runtime, items: Sequence[FeedbackIn], *, all_or_nothing: bool = False, user_id: int | None = None
) -> ImportReport:
    """The API's import: items validated for shape by Pydantic, then exactly as a file's rows."""
    columns = [name for name in FeedbackIn.model_fields if name != "extras"]
    data: dict[str, list[str | None]] = {name: [] for name in columns}
    extras: list[str | None] = []
    for item in items:
        for name in columns:
            value = getattr(item, name)
            data[name].append(None if value is None else str(value))
        extras.append(
            json.dumps(item.extras, ensure_ascii=False, separators=(",", ":"), sort_keys=True, default=str)
            if item.extras
            else None
        )
    frame = pl.DataFrame({**data, "extras": extras}, schema=dict.fromkeys([*columns, "extras"], pl.String))
    used = [c for c in frame.columns if frame[c].null_count() < frame.height]
    if "received_at" not in used:
        used.append("received_at")  # so that its absence is a row error, not an unusable request
    if not any(c in used for c in logic.SCORE_FIELDS):
        used.append("nps")
    options = ImportOptions(
        kind=ImportKind.FEEDBACK,
        all_or_nothing=all_or_nothing,
        default_source=FeedbackSource.API,
        batch_size=max(1, len(items)),
        # Not copied to the analytic store before answering: that copy was half of a one-item post's cost.
        # The server's sync loop copies it within seconds, and a KPI query syncs first when behind.
        sync_analytics=False,
    )
    # An empty item is an error to report, not a blank line to skip.
    return _import_frame(
        runtime, frame.select(used), options, name="api", progress=None, user_id=user_id, skip_empty=False
    )


def _fingerprint(options: ImportOptions) -> str:
    relevant = asdict(options)
    relevant.pop("batch_size")
    relevant.pop("sync_analytics")
    return hashlib.sha256(json.dumps(relevant, sort_keys=True, default=str).encode()).hexdigest()


@dataclass
class _Validated:
    plan: ColumnPlan
    good: pl.DataFrame  # valid rows, with _POS, in file order
    errors: pl.DataFrame  # row, field, reason, value, _POS; sorted by row
    rejected_positions: pl.Series
    source: str  # the default source, for rows without a source column


@contextmanager
def _transaction(runtime: Runtime) -> Iterator[Session]:
    with runtime.sessions() as session, session.begin():
        yield session


def _validate(runtime: Runtime, frame: pl.DataFrame, options: ImportOptions) -> _Validated:
    headers = [c for c in frame.columns if c != ROW]
    plan = logic.plan_columns(headers, options.kind, options.mapping)
    with runtime.sessions() as session:
        timezone = accounts.organization_timezone(session, default=runtime.settings.timezone)
        ctx = ParseContext(
            timezone=timezone,
            dayfirst=options.dayfirst,
            default_source=_default_source(options),
            interaction_source=options.interaction_source,
        )
        prepared = logic.prepare(frame, plan, ctx)
        values = prepared.values.with_row_index(_POS).with_columns(pl.col(_POS).cast(pl.Int64))
        errors = [prepared.errors]
        lookups = {
            "touchpoint": repository.touchpoint_codes,
            "agent": repository.agent_keys,
            "team": repository.team_keys,
            "product": repository.product_skus,
        }
        for field_name, load in lookups.items():
            if field_name in values.columns:
                values, more = logic.resolve_reference(values, field_name, load(session))
                errors.append(more)
        if options.kind is ImportKind.FEEDBACK and "interaction" in values.columns:
            keys = values.select(
                pl.col("interaction_source").alias("source"), pl.col("interaction").alias("external_id")
            ).drop_nulls()
            found = interactions.interaction_ids(session, keys).select(
                pl.col("external_id").alias("key"), pl.col("source").alias("interaction_source"), "id"
            )
            values, more = logic.resolve_reference(
                values, "interaction", found, scope="interaction_source", case_insensitive=False
            )
            errors.append(more)
    all_errors = pl.concat(errors)
    key = ["external_id"] if options.kind is ImportKind.CUSTOMERS else ["source", "external_id"]
    all_errors = pl.concat([all_errors, logic.reject_duplicates(values, all_errors, key)])
    all_errors = (
        all_errors.join(values.select(pl.col(ROW).alias("row"), _POS), on="row", how="left")
        .with_row_index("__order")
        .sort(["row", "__order"])
        .drop("__order")
    )
    rejected = all_errors[_POS].unique().sort()
    good = values.filter(~pl.col(_POS).is_in(rejected.implode()))
    return _Validated(plan, good, all_errors, rejected, ctx.default_source)


def _default_source(options: ImportOptions) -> str:
    value = str(getattr(options.default_source, "value", options.default_source)).strip()
    if options.kind is ImportKind.FEEDBACK:
        try:
            return FeedbackSource(value).value
        except ValueError:
            known = ", ".join(s.value for s in FeedbackSource)
            raise UnusableFile(f"source: {value!r} is not one of {known} / no es una fuente válida") from None
    if not value or len(value) > 40:
        raise UnusableFile(f"source: {value!r} must have 1 to 40 characters / debe tener de 1 a 40 caracteres")
    return value


def _run_import(
    runtime: Runtime,
    frame: pl.DataFrame,
    options: ImportOptions,
    *,
    name: str,
    sha256: str,
    progress: Progress | None,
    user_id: int | None,
    started: float,
) -> ImportReport:
    if options.batch_size < 1:
        raise UnusableFile("batch size: at least 1 / tamaño de lote: al menos 1")
    fingerprint = _fingerprint(options)
    try:
        checked = _validate(runtime, frame, options)
    except Exception as exc:
        # A run queued from the pages waits for this job: it must not stay "running" forever.
        _fail_waiting_run(runtime, options.kind, sha256, fingerprint, exc)
        raise
    total = frame.height
    now = utcnow()
    with _transaction(runtime) as session:
        run = repository.resumable_run(session, kind=options.kind, sha256=sha256, fingerprint=fingerprint)
        if run is None:
            run = repository.add_run(
                session,
                ImportRun(
                    kind=options.kind,
                    filename=name[:500],
                    file_sha256=sha256,
                    options_fingerprint=fingerprint,
                    status=ImportStatus.RUNNING,
                    rows_total=total,
                    mapping=dict(options.mapping),
                    created_by=user_id,
                    started_at=now,
                ),
            )
        else:
            run.status = ImportStatus.RUNNING
            run.message = None
            run.rows_total = total
        run_id, resumed_from = run.id, run.rows_done
    errors = [
        RowError(r, f, reason, v)
        for r, f, reason, v in checked.errors.select("row", "field", "reason", "value").iter_rows()
    ]
    if options.all_or_nothing and checked.errors.height:
        with _transaction(runtime) as session:
            repository.add_row_errors(session, run_id, checked.errors)
            repository.record_progress(
                session,
                run_id,
                rows_done=0,
                counts=UpsertCounts(),
                rejected=checked.rejected_positions.len(),
                status=ImportStatus.REJECTED,
                message="nothing imported: some rows are invalid (--all-or-nothing) / "
                "no se importó nada: hay filas inválidas",
                finished_at=utcnow(),
            )
        return ImportReport(
            run_id,
            ImportStatus.REJECTED,
            total,
            0,
            0,
            0,
            checked.rejected_positions.len(),
            errors,
            perf_counter() - started,
        )
    writer = _BatchWriter(runtime, checked, options, run_id)
    synced = False
    try:
        if progress is not None:
            progress(resumed_from, total)
        # The follower copies each committed batch to the analytic store while the next is written.
        with _follow_analytics(runtime, options.sync_analytics) as follower, writer:
            done = resumed_from
            while done < total:
                end = min(total, done + options.batch_size)
                writer.write(done, end)
                done = end
                if progress is not None:
                    progress(done, total)
        with _transaction(runtime) as session:
            repository.finish_run(session, run_id, status=ImportStatus.DONE, finished_at=utcnow())
        if follower is not None:
            synced = follower.finish() is not None
    except Exception as exc:
        with _transaction(runtime) as session:
            repository.finish_run(
                session,
                run_id,
                status=ImportStatus.FAILED,
                finished_at=utcnow(),
                message=f"{type(exc).__name__}: {exc}",
            )
        raise
    customers_created = writer.customers_created
    with runtime.sessions() as session:
        final = session.get(ImportRun, run_id)
        assert final is not None
        return ImportReport(
            import_id=run_id,
            status=final.status,
            rows_total=total,
            inserted=final.rows_inserted,
            updated=final.rows_updated,
            unchanged=final.rows_unchanged,
            rejected=final.rows_rejected,
            errors=errors,
            seconds=perf_counter() - started,
            customers_created=customers_created,
            resumed_from=resumed_from,
            synced=synced,
        )


_FEEDBACK_COLUMNS = (
    "source",
    "external_id",
    "received_at",
    "customer_id",
    "interaction_id",
    "touchpoint_id",
    "agent_id",
    "team_id",
    "product_id",
    "channel",
    "language",
    "nps",
    "csat",
    "ces",
    "rating",
    "comment",
    "extras",
)
_INTERACTION_COLUMNS = (
    "source",
    "external_id",
    "channel",
    "customer_id",
    "agent_id",
    "team_id",
    "touchpoint_id",
    "product_id",
    "category",
    "status",
    "opened_at",
    "first_response_at",
    "resolved_at",
    "contacts_to_resolve",
    "extras",
)
_CUSTOMER_COLUMNS = ("external_id", "name", "email", "segment", "region", "is_key_account", "attributes")


def _slice(frame: pl.DataFrame, start: int, end: int) -> pl.DataFrame:
    """Rows whose position is in [start, end); `frame` is sorted by position."""
    positions = frame[_POS]
    lo = int(positions.search_sorted(start, side="left"))
    hi = int(positions.search_sorted(end, side="left"))
    return frame.slice(lo, hi - lo)


class _BatchWriter:
    """Writes an import's batches on one connection, each batch in its own transaction."""

    def __init__(self, runtime: Runtime, checked: _Validated, options: ImportOptions, run_id: int) -> None:
        self.runtime = runtime
        self.checked = checked
        self.kind = options.kind
        self.run_id = run_id
        self.customers_created = 0
        # Customers resolved by committed batches: later batches need not look them up again.
        self.known_customers = pl.DataFrame(schema={"key": pl.String, "id": pl.Int64})
        self.connection: Connection | None = None
        self.sqlite = runtime.engine.dialect.name == "sqlite"
        # Without a source column every row has the default one: a constant, not a column per row.
        fixed = "source" not in checked.plan.fields and options.kind is not ImportKind.CUSTOMERS
        self.source = checked.source if fixed else None

    def __enter__(self) -> _BatchWriter:
        self.connection = self.runtime.engine.connect()
        if self.sqlite:
            raw = self.connection.connection.driver_connection
            assert raw is not None
            # A larger page cache keeps the indexes being updated in memory; the WAL is checkpointed
            # once at the end instead of every 1000 pages, so hot pages are written once.
            raw.execute(f"PRAGMA cache_size=-{_SQLITE_IMPORT_CACHE_KIB}")
            raw.execute("PRAGMA temp_store=MEMORY")
            raw.execute("PRAGMA wal_autocheckpoint=0")
        return self

    def __exit__(self, *_exc: object) -> None:
        assert self.connection is not None
        try:
            if self.sqlite and not self.connection.invalidated:
                raw = self.connection.connection.driver_connection
                assert raw is not None
                raw.execute("PRAGMA cache_size=-2000")
                raw.execute("PRAGMA wal_autocheckpoint=1000")
                raw.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            self.connection.close()
            self.connection = None

    def write(self, start: int, end: int) -> None:
        """Write rows [start, end) and advance the checkpoint, in one transaction."""
        assert self.connection is not None
        batch = _slice(self.checked.good, start, end)
        batch_errors = _slice(self.checked.errors, start, end)
        positions = self.checked.rejected_positions
        rejected = int(((positions >= start) & (positions < end)).sum())
        now = utcnow()
        created = 0
        known = self.known_customers
        with Session(bind=self.connection) as session, session.begin():
            if "customer" in batch.columns:
                refs = batch.select(pl.col("customer").drop_nulls().unique())
                unknown = refs.join(known, left_on="customer", right_on="key", how="anti")["customer"]
                found, created = customers.ensure_customers(session, unknown.to_list(), now=now)
                known = pl.concat([known, found])
                batch = batch.join(
                    known.rename({"key": "customer", "id": "customer_id"}),
                    on="customer",
                    how="left",
                    maintain_order="left",
                )
            counts = self._upsert(session, batch, now)
            repository.add_row_errors(session, self.run_id, batch_errors)
            repository.record_progress(session, self.run_id, rows_done=end, counts=counts, rejected=rejected)
        # Only once the transaction committed are the customers it created known to exist.
        self.known_customers = known
        self.customers_created += created

    def _upsert(self, session: Session, batch: pl.DataFrame, now: datetime) -> UpsertCounts:
        if self.kind is ImportKind.CUSTOMERS:
            columns = [c for c in _CUSTOMER_COLUMNS if c in batch.columns]
            return customers.upsert_customers(session, batch.select(columns), now=now)
        names = _FEEDBACK_COLUMNS if self.kind is ImportKind.FEEDBACK else _INTERACTION_COLUMNS
        columns = [c for c in names if c in batch.columns and not (c == "source" and self.source)]
        version = next_version(session)
        if self.kind is ImportKind.FEEDBACK:
            return repository.upsert_feedback(
                session, batch.select(columns), import_id=self.run_id, version=version, now=now, source=self.source
            )
        return interactions.upsert_interactions(
            session, batch.select(columns), import_id=self.run_id, version=version, now=now, source=self.source
        )


@contextmanager
def _follow_analytics(runtime: Runtime, enabled: bool) -> Iterator[Follower | None]:
    if not enabled:
        yield None
        return
    with Follower(runtime) as follower:
        yield follower


# --- reading feedback and imports --------------------------------------------------------------


def list_feedback(
    session: Session,
    principal: Principal,
    filters: FeedbackFilters,
    page: PageParams,
    *,
    count_limit: int | None = None,
) -> Page[Feedback]:
    """Feedback the principal may read; naive bounds are in the organisation's time zone."""
    filters = _aware_bounds(session, filters)
    return repository.list_feedback(session, principal, filters, page, count_limit=count_limit)


def _aware_bounds(session: Session, filters: FeedbackFilters) -> FeedbackFilters:
    zone = ZoneInfo(accounts.organization_timezone(session))

    def aware(value: datetime | None) -> datetime | None:
        return value.replace(tzinfo=zone) if value is not None and value.tzinfo is None else value

    return replace(filters, received_from=aware(filters.received_from), received_to=aware(filters.received_to))


def export_feedback(
    session: Session, principal: Principal, filters: FeedbackFilters, *, limit: int
) -> Iterator[list[Feedback]]:
    """The filtered list for a download, newest first, in chunks, at most `limit` rows."""
    return repository.iter_feedback(session, principal, _aware_bounds(session, filters), limit=limit)


def filter_choices(session: Session, principal: Principal) -> repository.FilterChoices:
    """The options of the explorer's filters."""
    return repository.filter_choices(session, principal)


def resolve_entity(session: Session, dimension: str, value: str) -> int | None:
    """The id of a touchpoint, team, agent or product named by id, code or name; None if unknown."""
    return repository.resolve_entity(session, dimension, value)


def feedback_labels(session: Session, rows: Sequence[Any]) -> repository.FeedbackLabels:
    """Names of the touchpoints, teams, agents, products and customers these rows refer to."""
    return repository.feedback_labels(session, rows)


def get_feedback(session: Session, principal: Principal, feedback_id: int) -> Feedback:
    row = repository.get_feedback(session, principal, feedback_id)
    if row is None:
        raise NotFound(f"feedback {feedback_id} not found / no existe")
    return row


def mark_changed(session: Session, ids: Sequence[int]) -> None:
    """Give these feedback rows this transaction's version: something copied with them (their text
    analysis) changed, and the next analytic sync must copy them again."""
    if not ids:
        return
    version = next_version(session)
    for start in range(0, len(ids), 10_000):
        chunk = list(ids[start : start + 10_000])
        session.execute(update(Feedback).where(Feedback.id.in_(chunk)).values(version=version))


def get_import(session: Session, import_id: int, *, errors: int = 100) -> tuple[ImportRun, list[ImportRowError], int]:
    """An import run, its first `errors` row errors, and how many it has in all."""
    run = session.get(ImportRun, import_id)
    if run is None:
        raise NotFound(f"import {import_id} not found / no existe")
    return run, repository.row_errors(session, import_id, limit=errors), repository.count_row_errors(session, import_id)


def synthetic_feedback_csv(
    path: Path,
    n: int,
    seed: int = 42,
    *,
    catalog: SyntheticCatalog | None = None,
    separator: str = ";",
    encoding: str = "utf-8",
) -> Path:
    """Write N synthetic survey answers as a Spanish-style CSV (for tests and `pulso bench`)."""
    frame = logic.synthetic_feedback_frame(n, seed, catalog)
    path = Path(path)
    if encoding.lower().replace("-", "") in {"utf8", "utf_8"}:
        frame.write_csv(path, separator=separator)
    else:
        buffer = io.StringIO()
        frame.write_csv(buffer, separator=separator)
        path.write_bytes(buffer.getvalue().encode(encoding))
    return path


# --- imports from the pages: uploads kept in the data folder, a preview, a queued run ----------
#
# An upload is kept in data_dir/imports/pending/<token>/ until it is confirmed; confirming creates
# the run (status running, message WAITING) and moves the file to data_dir/imports/<run id>/, where
# the background job reads it. The job resumes that very run (same file, same options), so the page
# can follow its progress from the start. The file stays there: the rejected rows are cut from it.

MAX_UPLOAD_BYTES = 100 * 1024 * 1024
PREVIEW_ROWS = 5
PAGE_BATCH_SIZE = 10_000  # smaller than the CLI's batches, so that the page shows progress
WAITING = "waiting for the background worker / esperando al proceso en segundo plano"
EXTRA = ""  # the column is kept as extra data (extras; a customer's attributes)
IGNORED = "ignore"
REPORT_COLUMNS = ("error_row", "error_reason")  # added by the rejected-rows file; ignored on re-upload
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_SAMPLES = 3
PENDING_SECONDS = 24 * 3600


@dataclass(frozen=True, slots=True)
class Upload:
    """A file uploaded from the pages and not imported yet, with what its first rows showed."""

    token: str
    path: Path
    kind: ImportKind
    encoding: str | None
    separator: str | None
    dayfirst: bool
    sheet: str | None
    user_id: int | None
    uploaded_at: datetime
    headers: tuple[str, ...]
    samples: dict[str, list[str]]

    @property
    def filename(self) -> str:
        return self.path.name


@dataclass(frozen=True, slots=True)
class ColumnChoice:
    """One source column in the mapping: its sample values, the field chosen, and whether it clashes."""

    index: int
    name: str
    samples: list[str]
    choice: str  # a canonical field, EXTRA or IGNORED
    problem: bool = False


@dataclass(frozen=True, slots=True)
class MappingCheck:
    """The mapping as the user sees it, what is wrong with it, and the mapping an import takes."""

    kind: ImportKind
    columns: list[ColumnChoice]
    fields: tuple[logic.FieldSpec, ...]
    missing: list[str]  # required fields without a column
    problems: list[str]  # "english / español" messages naming the column or field
    mapping: dict[str, str]

    @property
    def ok(self) -> bool:
        return not self.problems


def imports_dir(runtime: Runtime) -> Path:
    return runtime.settings.data_dir / "imports"


def safe_filename(name: str | None) -> str:
    """The last part of an uploaded name, without characters a file system may refuse."""
    base = re.split(r"[\\/]", name or "")[-1].strip()
    base = re.sub(r"[^\w.\- ()]+", "_", base).strip(". ")
    return base[:200] or "upload"


def save_upload(
    runtime: Runtime,
    filename: str | None,
    stream: BinaryIO,
    *,
    kind: ImportKind,
    encoding: str | None = None,
    separator: str | None = None,
    dayfirst: bool = True,
    sheet: str | None = None,
    user_id: int | None = None,
    max_bytes: int | None = None,
) -> Upload:
    """Keep an uploaded file (not imported yet) and read its header and first rows, as the import will."""
    max_bytes = MAX_UPLOAD_BYTES if max_bytes is None else max_bytes
    name = safe_filename(filename)
    if not filename:
        raise UnusableFile("file: choose a file to upload / elija un archivo para subir")
    detect_format(Path(name))
    if encoding:
        decode_text(b"", encoding)  # an unknown encoding is named now, not after the upload
    if separator:
        logic.parse_separator(separator)
    _prune_pending(runtime)
    token = secrets.token_urlsafe(18)
    folder = imports_dir(runtime) / "pending" / token
    folder.mkdir(parents=True)
    path = folder / name
    try:
        size = 0
        with path.open("wb") as out:
            while chunk := stream.read(1 << 20):
                size += len(chunk)
                if size > max_bytes:
                    limit = max_bytes // (1024 * 1024)
                    raise PayloadTooLarge(
                        f"{name}: the file is larger than {limit} MB; import it with `pulso import` / "
                        f"el archivo supera {limit} MB; impórtelo con `pulso import`"
                    )
                out.write(chunk)
        if size == 0:
            raise UnusableFile(f"{name}: the file is empty / el archivo está vacío")
        options = ImportOptions(kind=kind, encoding=encoding, separator=separator, dayfirst=dayfirst, sheet=sheet)
        head = _read_preview(path, options)
        headers = tuple(c for c in head.columns if c != ROW)
        upload = Upload(
            token=token,
            path=path,
            kind=kind,
            encoding=encoding,
            separator=separator,
            dayfirst=dayfirst,
            sheet=sheet,
            user_id=user_id,
            uploaded_at=utcnow(),
            headers=headers,
            samples={h: _samples(head[h]) for h in headers},
        )
        _write_upload(upload)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return upload


def _prune_pending(runtime: Runtime) -> None:
    """Forget uploads nobody confirmed within a day."""
    cutoff = time() - PENDING_SECONDS
    for folder in (imports_dir(runtime) / "pending").glob("*"):
        try:
            if folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue


def read_head(path: Path, options: ImportOptions, rows: int = PREVIEW_ROWS) -> pl.DataFrame:
    """The first rows of a file, read exactly as `read_table` reads it (same headers, same ROW).

    JSON and JSON Lines are read whole: their columns are the keys of every row, not of the first ones.
    """
    fmt = detect_format(path)
    if fmt == "delimited":
        frame = _read_delimited(path, options, n_rows=rows)
    elif fmt == "excel":
        frame = _read_excel(path, options, n_rows=rows)
    elif fmt == "parquet":
        frame = _read_parquet(path, n_rows=rows)
    elif fmt == "jsonl":
        frame = _read_jsonl(path, options)
    else:
        frame = _read_json(path, options)
    return _drop_empty_rows(frame).head(rows)


def _read_preview(path: Path, options: ImportOptions) -> pl.DataFrame:
    try:
        head = read_head(path, options)
    except PulsoError:
        raise
    except Exception as exc:  # a damaged file surfaces as many error types; all mean "cannot be read"
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise UnusableFile(f"{path.name}: cannot be read: {first} / no se puede leer el archivo: {first}") from exc
    headers = [c for c in head.columns if c != ROW]
    if not headers:
        raise UnusableFile(f"{path.name}: the file has no columns / el archivo no tiene columnas")
    blank = [i + 1 for i, h in enumerate(headers) if not str(h).strip()]
    if blank:
        raise UnusableFile(
            f"{path.name}: column {blank[0]} has no name in the header / la columna {blank[0]} no tiene nombre"
        )
    if head.height == 0:
        raise UnusableFile(f"{path.name}: the file has a header but no rows / el archivo no tiene filas de datos")
    return head


def _samples(column: pl.Series) -> list[str]:
    out: list[str] = []
    for value in column.to_list():
        text = "" if value is None else (value if isinstance(value, str) else json.dumps(value, default=str))
        text = text.strip()
        if text and text not in out:
            out.append(text if len(text) <= 60 else text[:59] + "…")
        if len(out) == _SAMPLES:
            break
    return out


def _write_upload(upload: Upload) -> None:
    meta = {
        "kind": upload.kind.value,
        "filename": upload.filename,
        "encoding": upload.encoding,
        "separator": upload.separator,
        "dayfirst": upload.dayfirst,
        "sheet": upload.sheet,
        "user_id": upload.user_id,
        "uploaded_at": upload.uploaded_at.isoformat(),
        "headers": list(upload.headers),
        "samples": upload.samples,
    }
    (upload.path.parent / "upload.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")


def get_upload(runtime: Runtime, token: str, *, user_id: int | None) -> Upload:
    """A pending upload of this user; NotFound for another user's, a used one, or a made-up token."""
    missing = NotFound("upload not found or already imported / no existe la carga o ya se importó")
    if not _TOKEN.match(token):
        raise missing
    folder = imports_dir(runtime) / "pending" / token
    try:
        meta = json.loads((folder / "upload.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise missing from None
    if meta.get("user_id") != user_id or not (folder / meta["filename"]).is_file():
        raise missing
    return Upload(
        token=token,
        path=folder / meta["filename"],
        kind=ImportKind(meta["kind"]),
        encoding=meta["encoding"],
        separator=meta["separator"],
        dayfirst=bool(meta["dayfirst"]),
        sheet=meta["sheet"],
        user_id=meta["user_id"],
        uploaded_at=datetime.fromisoformat(meta["uploaded_at"]),
        headers=tuple(meta["headers"]),
        samples={k: list(v) for k, v in meta["samples"].items()},
    )


def discard_upload(runtime: Runtime, upload: Upload) -> None:
    shutil.rmtree(upload.path.parent, ignore_errors=True)


def _auto_match(headers: Sequence[str], kind: ImportKind, chosen: dict[str, str], taken: set[str]) -> None:
    """Fill `chosen` (field → column) from the headers' names, as `logic.plan_columns` does."""
    by_key = {logic._header_key(h): h for h in reversed(headers)}
    for spec in logic.FIELDS[kind]:
        if spec.name in chosen:
            continue
        for alias in (spec.name, *spec.aliases):
            column = by_key.get(logic._header_key(alias))
            if column is not None and column not in taken:
                chosen[spec.name] = column
                taken.add(column)
                break


def check_mapping(upload: Upload, choices: Mapping[str, str] | None = None) -> MappingCheck:
    """The mapping of the upload's columns: detected from their names when `choices` is None, else
    the user's choice per column (a field, EXTRA or IGNORED), checked as the import will check it."""
    kind = upload.kind
    headers = list(upload.headers)
    specs = logic.FIELDS[kind]
    names = {s.name for s in specs}
    problems: list[str] = []
    if choices is None:
        chosen: dict[str, str] = {}
        taken = {h for h in headers if h in REPORT_COLUMNS}
        _auto_match(headers, kind, chosen, taken)
        by_column = {column: field_name for field_name, column in chosen.items()}
        picked = {h: by_column.get(h, IGNORED if h in REPORT_COLUMNS else EXTRA) for h in headers}
    else:
        picked = {}
        for h in headers:
            value = (choices.get(h) or EXTRA).strip()
            if value not in names and value not in (EXTRA, IGNORED):
                problems.append(
                    f"column '{h}': '{value}' is not a field of a {kind} import / "
                    f"columna '{h}': '{value}' no es un campo de una importación de {kind}"
                )
                value = EXTRA
            picked[h] = value
    clashing: set[str] = set()
    columns_of: dict[str, list[str]] = {}
    for h, value in picked.items():
        if value not in (EXTRA, IGNORED):
            columns_of.setdefault(value, []).append(h)
    for field_name, sources in columns_of.items():
        if len(sources) > 1:
            clashing.update(sources)
            listed = ", ".join(f"'{c}'" for c in sources)
            problems.append(
                f"field {field_name} is chosen for columns {listed}; choose it for one column only / "
                f"el campo {field_name} está elegido para las columnas {listed}; elíjalo para una sola"
            )
    mapping = {h: (IGNORED if v == IGNORED else v) for h, v in picked.items() if v != EXTRA}
    # Columns left as extra data are still matched by name by the import: say so rather than surprise.
    final = {f: cs[0] for f, cs in columns_of.items()}
    extra_taken = {h for h, v in picked.items() if v != EXTRA}
    auto = dict(final)
    _auto_match(headers, kind, auto, extra_taken)
    for field_name, column in auto.items():
        if field_name not in final:
            clashing.add(column)
            problems.append(
                f"column '{column}' would be read as {field_name} by its name: choose {field_name} or ignore it / "
                f"la columna '{column}' se leería como {field_name} por su nombre: elija {field_name} o ignórela"
            )
    missing = [s.name for s in specs if s.required and s.name not in auto]
    for field_name in missing:
        problems.append(
            f"required field {field_name} has no column: choose the column that holds it / "
            f"el campo obligatorio {field_name} no tiene columna: elija la columna que lo contiene"
        )
    if kind is ImportKind.FEEDBACK and not any(f in auto for f in logic.SCORE_FIELDS):
        problems.append(
            "choose a column for at least one of nps, csat, ces, rating or comment / "
            "elija una columna para al menos uno de nps, csat, ces, rating o comment"
        )
    if not problems:
        try:
            logic.plan_columns(headers, kind, mapping)
        except UnusableFile as exc:
            problems.append(exc.message)
    columns = [ColumnChoice(i, h, upload.samples.get(h, []), picked[h], h in clashing) for i, h in enumerate(headers)]
    return MappingCheck(kind, columns, specs, missing, problems, mapping)


def queue_upload(
    runtime: Runtime, upload: Upload, check: MappingCheck, *, all_or_nothing: bool, user_id: int | None
) -> tuple[int, Path, ImportOptions]:
    """Create the run of a checked upload and move its file where the job reads it.

    The caller enqueues `tasks.import_file_job(str(path), options, user_id)` after this returns: the
    run is committed by then, and the job resumes it.
    """
    if not check.ok:
        raise UnusableFile(check.problems[0])
    options = ImportOptions(
        kind=upload.kind,
        mapping=dict(check.mapping),
        all_or_nothing=all_or_nothing,
        encoding=upload.encoding,
        separator=upload.separator,
        dayfirst=upload.dayfirst,
        sheet=upload.sheet,
        batch_size=PAGE_BATCH_SIZE,
    )
    with _transaction(runtime) as session:
        run = repository.add_run(
            session,
            ImportRun(
                kind=upload.kind,
                filename=upload.filename[:500],
                file_sha256=_file_sha256(upload.path),
                options_fingerprint=_fingerprint(options),
                status=ImportStatus.RUNNING,
                rows_total=0,
                mapping=dict(options.mapping),
                message=WAITING,
                created_by=user_id,
                started_at=utcnow(),
            ),
        )
        run_id = run.id
    folder = imports_dir(runtime) / str(run_id)
    shutil.rmtree(folder, ignore_errors=True)  # left by a database that was reset
    try:
        upload.path.parent.rename(folder)
    except OSError:  # confirmed twice at once: the other request took the file
        fail_queued_run(runtime, run_id, "the upload was already imported / la carga ya se importó")
        raise NotFound("upload not found or already imported / no existe la carga o ya se importó") from None
    meta = {
        "kind": options.kind.value,
        "filename": upload.filename,
        "mapping": options.mapping,
        "all_or_nothing": all_or_nothing,
        "encoding": options.encoding,
        "separator": options.separator,
        "dayfirst": options.dayfirst,
        "sheet": options.sheet,
    }
    (folder / "run.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return run_id, folder / upload.filename, options


def fail_queued_run(runtime: Runtime, run_id: int, message: str) -> None:
    """A queued run whose job could not be enqueued or started: failed, with the reason."""
    with _transaction(runtime) as session:
        repository.finish_run(session, run_id, status=ImportStatus.FAILED, finished_at=utcnow(), message=message)


def _fail_waiting_run(runtime: Runtime, kind: ImportKind, sha256: str, fingerprint: str, exc: BaseException) -> None:
    message = exc.message if isinstance(exc, PulsoError) else f"{type(exc).__name__}: {exc}"
    with _transaction(runtime) as session:
        run = repository.resumable_run(session, kind=kind, sha256=sha256, fingerprint=fingerprint)
        if run is not None and run.status is ImportStatus.RUNNING and run.message == WAITING:
            repository.finish_run(session, run.id, status=ImportStatus.FAILED, finished_at=utcnow(), message=message)


def readable_imports(principal: Principal) -> ColumnElement[bool]:
    """Admins and CX managers see every import; supervisors the ones they started; others none."""
    if principal.role in (Role.ADMIN, Role.CX_MANAGER):
        return true()
    if principal.role is Role.SUPERVISOR and principal.user_id is not None:
        return ImportRun.created_by == principal.user_id
    return false()


@dataclass(frozen=True, slots=True)
class ImportListItem:
    run: ImportRun
    created_by_name: str | None

    @property
    def accepted(self) -> int:
        return self.run.rows_inserted + self.run.rows_updated + self.run.rows_unchanged


def list_imports(session: Session, principal: Principal, page: PageParams) -> Page[ImportListItem]:
    """The imports the principal may see, newest first."""
    where = readable_imports(principal)
    total = session.execute(select(func.count()).select_from(ImportRun).where(where)).scalar_one()
    stmt = (
        select(ImportRun, User.name)
        .outerjoin(User, User.id == ImportRun.created_by)
        .where(where)
        .order_by(ImportRun.id.desc())
        .offset(page.offset)
        .limit(page.size)
    )
    items = [ImportListItem(row[0], row[1]) for row in session.execute(stmt).all()]
    return Page(items=items, total=int(total), page=page.page, size=page.size)


def get_readable_import(session: Session, principal: Principal, import_id: int) -> ImportListItem:
    stmt = (
        select(ImportRun, User.name)
        .outerjoin(User, User.id == ImportRun.created_by)
        .where(ImportRun.id == import_id, readable_imports(principal))
    )
    row = session.execute(stmt).one_or_none()
    if row is None:
        raise NotFound(f"import {import_id} not found / no existe la importación {import_id}")
    return ImportListItem(row[0], row[1])


def import_errors(session: Session, import_id: int, page: PageParams) -> Page[ImportRowError]:
    """An import's row errors, by row, one page at a time."""
    total = repository.count_row_errors(session, import_id)
    stmt = (
        select(ImportRowError)
        .where(ImportRowError.import_id == import_id)
        .order_by(ImportRowError.row, ImportRowError.id)
        .offset(page.offset)
        .limit(page.size)
    )
    return Page(items=list(session.execute(stmt).scalars()), total=total, page=page.page, size=page.size)


def _stored_run_file(runtime: Runtime, run: ImportRun) -> tuple[Path, ImportOptions] | None:
    folder = imports_dir(runtime) / str(run.id)
    try:
        meta: dict[str, Any] = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    path = folder / str(meta["filename"])
    if not path.is_file():
        return None
    options = ImportOptions(
        kind=ImportKind(meta["kind"]),
        mapping=dict(meta["mapping"]),
        all_or_nothing=bool(meta["all_or_nothing"]),
        encoding=meta["encoding"],
        separator=meta["separator"],
        dayfirst=bool(meta["dayfirst"]),
        sheet=meta["sheet"],
    )
    return path, options


def rejected_rows_csv(
    runtime: Runtime, session: Session, run: ImportRun, *, reason_text: Callable[[str], str] = str
) -> bytes:
    """The rejected rows as CSV (UTF-8 with BOM, for Excel): error_row, error_reason, then the row's
    original columns, so that it can be fixed and uploaded again. Imports not made from the pages
    (no stored file) give the row, field, reason and value of each error instead."""
    errors = repository.row_errors(session, run.id)
    by_row: dict[int, list[str]] = {}
    for e in errors:
        text = reason_text(e.reason)
        by_row.setdefault(e.row, []).append(f"{e.field}: {text}" if e.field else text)
    stored = _stored_run_file(runtime, run)
    buffer = io.StringIO()
    if stored is None:
        frame = pl.DataFrame(
            {
                "error_row": [e.row for e in errors],
                "field": [e.field for e in errors],
                "error_reason": [reason_text(e.reason) for e in errors],
                "value": [e.value for e in errors],
            },
            schema={"error_row": pl.Int64, "field": pl.String, "error_reason": pl.String, "value": pl.String},
        )
        frame.write_csv(buffer)
        return buffer.getvalue().encode("utf-8-sig")
    path, options = stored
    table = read_table(path, options)
    rows = pl.DataFrame(
        {"error_row": list(by_row), "error_reason": ["; ".join(v) for v in by_row.values()]},
        schema={"error_row": pl.Int64, "error_reason": pl.String},
    )
    original = [c for c in table.columns if c != ROW and c not in REPORT_COLUMNS]
    nested = [c for c, t in table.schema.items() if c in original and t.is_nested()]
    table = table.with_columns(
        pl.col(c).map_elements(lambda v: json.dumps(v, ensure_ascii=False, default=str), return_dtype=pl.String)
        for c in nested
    )
    out = rows.join(table.rename({ROW: "error_row"}), on="error_row", how="left").sort("error_row")
    out.select("error_row", "error_reason", *original).write_csv(buffer)
    return buffer.getvalue().encode("utf-8-sig")


def feedback_rows(session: Session, ids: Sequence[int]) -> dict[int, Feedback]:
    """Feedback by id, unscoped: for a caller that already checked access (a case grants its feedback)."""
    return repository.feedback_by_ids(session, ids)
