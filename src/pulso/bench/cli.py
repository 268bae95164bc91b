"""`pulso bench`: measure import throughput and the dashboard; see docs/benchmarks.md."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.console import Console

from pulso.bench import service
from pulso.config import Settings
from pulso.feedback.enums import ImportKind
from pulso.runtime import Runtime, set_runtime

bench = typer.Typer(help="Benchmarks. / Pruebas de rendimiento.", no_args_is_help=True)
console = Console()


def _runtime(data_dir: Path, database_url: str | None) -> Runtime:
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    settings = Settings(
        data_dir=data_dir, database_url=database_url, queue="immediate", timezone="UTC", analytics_sync_seconds=0
    )
    runtime = Runtime(settings)
    set_runtime(runtime)
    if database_url and not database_url.startswith("sqlite"):
        from sqlalchemy import text

        from pulso.db_models import metadata

        # A clean PostgreSQL schema for a repeatable run.
        with runtime.engine.begin() as conn:
            for table in reversed(metadata.sorted_tables):
                conn.execute(text(f'DROP TABLE IF EXISTS "{table.name}" CASCADE'))
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    runtime.migrate()
    with runtime.sessions() as session, session.begin():
        service.create_bench_entities(session)
    return runtime


@bench.command("import")
def import_bench(
    rows: Annotated[int, typer.Option(help="Rows in the generated CSV.")] = 1_000_000,
    data_dir: Annotated[Path | None, typer.Option(help="Scratch folder (wiped); default: a temporary one.")] = None,
    database_url: Annotated[str | None, typer.Option(help="Operational store; default SQLite in data-dir.")] = None,
) -> None:
    """Import N feedback rows from CSV, end to end (parse, validate, store, analytic sync)."""
    from pulso.feedback.service import ImportOptions, import_file

    folder = data_dir or Path(tempfile.mkdtemp(prefix="pulso-bench-"))
    runtime = _runtime(folder, database_url)
    csv_path = folder / "feedback.csv"
    frame = service.synthetic_feedback(rows)
    frame.with_columns(pl.col("received_at").dt.strftime("%Y-%m-%dT%H:%M:%SZ")).write_csv(csv_path)
    console.print(
        f"{rows:,} rows, {csv_path.stat().st_size / 2**20:.0f} MiB CSV → {runtime.engine.url.get_backend_name()}"
    )
    report, seconds = service.timed(
        "import (end to end)",
        lambda: import_file(runtime, csv_path, ImportOptions(kind=ImportKind.FEEDBACK, sync_analytics=True)),
        console.print,
    )
    counts = runtime.analytics.counts()
    console.print(
        f"inserted {report.inserted:,}, rejected {report.rejected:,}; analytic store holds "
        f"{counts['feedback_facts']:,} rows"
    )
    console.print(f"[bold]{rows / seconds:,.0f} rows/s[/] end to end")
    again, seconds_again = service.timed(
        "re-import of the same file",
        lambda: import_file(runtime, csv_path, ImportOptions(kind=ImportKind.FEEDBACK, sync_analytics=True)),
        console.print,
    )
    console.print(
        f"re-import: unchanged {again.unchanged:,}, inserted {again.inserted:,} ({rows / seconds_again:,.0f} rows/s)"
    )
    print(
        json.dumps(
            {
                "rows": rows,
                "seconds": round(seconds, 3),
                "rows_per_second": round(rows / seconds),
                "reimport_seconds": round(seconds_again, 3),
                "machine": service.machine(),
            }
        )
    )


@bench.command("dashboard")
def dashboard_bench(
    parquet: Annotated[Path, typer.Argument(help="Data from shared/bench/gen.py (python gen.py N out.parquet).")],
    runs: Annotated[int, typer.Option(help="Timed runs after one warm-up.")] = 5,
    data_dir: Annotated[Path | None, typer.Option(help="Scratch folder (wiped); default: a temporary one.")] = None,
    database_url: Annotated[str | None, typer.Option(help="Operational store; default SQLite in data-dir.")] = None,
    operational: Annotated[bool, typer.Option(help="Also time the dashboard on the operational store.")] = False,
    served: Annotated[
        bool, typer.Option(help="Also time it over HTTP against `pulso serve` and read its RSS.")
    ] = False,
) -> None:
    """Load the anchor's data through Pulso's import, then time the four-query dashboard."""
    from pulso.feedback.service import ImportOptions, ImportReport, import_frame

    folder = data_dir or Path(tempfile.mkdtemp(prefix="pulso-bench-"))
    runtime = _runtime(folder, database_url)
    console.print(f"{parquet.name} → {runtime.engine.url.get_backend_name()} + DuckDB")

    def load() -> ImportReport:
        # The frame lives only inside this call, so the memory figure below is the store's, not the file's.
        frame = service.anchor_frame_to_import(pl.read_parquet(parquet))
        options = ImportOptions(kind=ImportKind.FEEDBACK, sync_analytics=True)
        return import_frame(runtime, frame, options, name=parquet.name)

    report, load_seconds = service.timed("load through the import", load, console.print)
    console.print(f"inserted {report.inserted:,}, rejected {report.rejected:,}")
    results = [service.run_dashboard(runtime, engine="analytic", runs=runs)]
    if operational:
        results.append(service.run_dashboard(runtime, engine="operational", runs=max(1, min(runs, 3))))
    served_run = None
    if served:
        runtime.close()  # the server process takes over the DuckDB file
        served_run = service.run_served_dashboard(folder, database_url, runs=runs)
        console.print(f"pulso serve (HTTP) median {served_run.median_seconds:.4f} s  rss {served_run.rss_mb:,.0f} MiB")
    for r in results:
        prints = "  ".join(f"{k}={v}" for k, v in r.fingerprints.items())
        console.print(f"pulso ({r.engine:11s}) median {r.median_seconds:.4f} s  {prints}  rss {r.rss_mb:,.0f} MiB")
    print(
        json.dumps(
            {
                "rows": report.rows_total,
                "load_seconds": round(load_seconds, 2),
                "results": [
                    {
                        "engine": r.engine,
                        "median": r.median_seconds,
                        "runs": r.runs,
                        "fingerprints": r.fingerprints,
                        "rss_mb": round(r.rss_mb),
                    }
                    for r in results
                ],
                "machine": service.machine(),
            }
        )
    )


@bench.command("overview")
def overview_bench(
    data_dir: Annotated[Path, typer.Argument(help="An existing data dir (e.g. built by `pulso demo`); not changed.")],
    loads: Annotated[int, typer.Option(min=1, help="Timed loads after the warm-up.")] = 200,
    warmup: Annotated[int, typer.Option(min=0, help="Loads before timing starts (not counted).")] = 20,
    seed: Annotated[int, typer.Option(help="Seed of the plan of varied filters.")] = 1,
    target: Annotated[
        str, typer.Option(help="page: the overview page `/`; api: the JSON API calls that answer the same.")
    ] = "page",
    role: Annotated[str, typer.Option(help="Role of the benchmark's user (admin, cx_manager or viewer).")] = (
        "cx_manager"
    ),
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the results as JSON to this file.")] = None,
    profile: Annotated[
        Path | None, typer.Option(help="Profile the loads with yappi (uv run --with yappi) into this text file.")
    ] = None,
) -> None:
    """Time the overview page (server time) over repeated loads with varied filters on an existing data dir."""
    from rich.table import Table

    from pulso.accounts.enums import Role

    if target not in ("page", "api"):
        raise typer.BadParameter("use page or api", param_hint="--target")
    try:
        chosen = Role(role)
    except ValueError:
        raise typer.BadParameter("use admin, cx_manager or viewer", param_hint="--role") from None
    try:
        runtime = service.open_data_dir(data_dir.resolve())
    except FileNotFoundError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from None
    console.print(f"{data_dir}: {service.feedback_rows(runtime):,} feedback rows; {warmup} + {loads} loads of {target}")
    if profile is not None:
        service.start_profile()
    run = service.run_overview(
        runtime,
        target="page" if target == "page" else "api",
        loads=loads,
        warmup=warmup,
        seed=seed,
        role=chosen,
        progress=lambda done, total: console.print(f"  {done}/{total}") if done % 50 == 0 else None,
    )
    if profile is not None:
        service.stop_profile(profile)
        console.print(f"profile written to {profile}")
    result = run.as_dict()
    total = result["server_ms"]
    table = Table(title=f"server time (ms), {total['n']} loads")
    for column in ("axis", "value", "n", "median", "p95", "max"):
        table.add_column(column, justify="left" if column in ("axis", "value") else "right")
    table.add_row("all", "", str(total["n"]), f"{total['median']}", f"{total['p95']}", f"{total['max']}")
    for axis, per in result["by_axis"].items():
        for value, s in per.items():
            table.add_row(axis, value, str(s["n"]), f"{s['median']}", f"{s['p95']}", f"{s['max']}")
    console.print(table)
    per_load = result["per_load"]
    console.print(
        "per load: " + ", ".join(f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}" for k, v in per_load.items())
    )
    client, cpu = result["client_ms"], result["server_cpu_ms"]
    console.print(f"server CPU (all threads) median {cpu['median']} ms, p95 {cpu['p95']} ms")
    console.print(f"client-side (TestClient) median {client['median']} ms, p95 {client['p95']} ms")
    console.print(f"load average before {result['load_average']['before']}, after {result['load_average']['after']}")
    if json_out is not None:
        json_out.write_text(json.dumps(result, indent=2, default=str))
        console.print(f"results written to {json_out}")
    runtime.close()


@bench.command("cases")
def cases_bench(
    rate: Annotated[float, typer.Option(min=0.1, help="Detractor feedback posted per second.")] = 50.0,
    seconds: Annotated[float, typer.Option(min=1, help="Seconds of measured load (after the warm-up).")] = 300.0,
    warmup: Annotated[
        float, typer.Option(min=0, help="Seconds of load first, checked for losses but not in the latency.")
    ] = 10.0,
    drain: Annotated[
        float, typer.Option(min=0, help="Seconds after the last post to wait for the e-mails still due.")
    ] = 30.0,
    threads: Annotated[int, typer.Option(min=1, help="Threads posting (each on its own connection).")] = 8,
    database_url: Annotated[
        str | None,
        typer.Option(help="A PostgreSQL URL whose database the benchmark creates and drops; default SQLite."),
    ] = None,
    queue: Annotated[str, typer.Option(help="Job queue of the server: sqlite or redis.")] = "sqlite",
    redis_url: Annotated[
        str, typer.Option(help="Redis for --queue redis; its queue must be empty, and is emptied after.")
    ] = "redis://127.0.0.1:6379/14",
    worker: Annotated[
        bool, typer.Option(help="Run the jobs in a separate `pulso worker` instead of inside `pulso serve`.")
    ] = False,
    worker_threads: Annotated[int, typer.Option(min=1, help="Threads of the separate worker.")] = 3,
    agents: Annotated[int, typer.Option(min=1, help="Agents in the team the rule assigns round-robin.")] = 4,
    text: Annotated[bool, typer.Option(help="Analyse the comments too (PULSO_TEXT_ANALYSIS).")] = False,
    analytics_sync: Annotated[
        float, typer.Option(min=0, help="PULSO_ANALYTICS_SYNC_SECONDS of the server; 0: no sync loop.")
    ] = 0.0,
    keep: Annotated[bool, typer.Option(help="Keep the scratch folder (logs, stores) and the PostgreSQL database.")] = (
        False
    ),
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the results as JSON to this file.")] = None,
) -> None:
    """The closed loop under load: detractor feedback through the API until its case's e-mail reaches SMTP.

    Exits 1 when anything was lost or duplicated, 2 when the benchmark could not run.
    """
    from rich.table import Table

    from pulso.bench import closed_loop

    if queue not in ("sqlite", "redis"):
        raise typer.BadParameter("use sqlite or redis", param_hint="--queue")
    config = closed_loop.LoopConfig(
        rate=rate,
        seconds=seconds,
        warmup=warmup,
        drain=drain,
        threads=threads,
        database_url=database_url,
        queue="redis" if queue == "redis" else "sqlite",
        redis_url=redis_url,
        separate_worker=worker,
        worker_threads=worker_threads,
        agents=agents,
        text=text,
        analytics_sync_seconds=analytics_sync,
        keep=keep,
    )
    backend = config.backend
    console.print(
        f"closed loop on {backend['database']} + {backend['queue']} queue, jobs {backend['consumer']}", soft_wrap=True
    )
    try:
        result = closed_loop.run(
            config, lambda line: console.print(line, markup=False, highlight=False, soft_wrap=True)
        )
    except closed_loop.BenchError as exc:
        console.print(f"[red]cannot run the benchmark[/]: {exc}", markup=True, highlight=False)
        raise typer.Exit(2) from None
    counts = result["counts"]
    console.print(
        f"sent {counts['sent']:,}, accepted {counts['accepted']:,}, cases {counts['cases']:,}, "
        f"e-mails {counts['emails']:,} (matched {counts['matched']:,}), duplicates {counts['duplicates']}, "
        f"missing {counts['missing']}, unexpected {counts['unexpected']}",
        soft_wrap=True,
    )
    table = Table(title="latency (ms): feedback due → e-mail at SMTP, and its stages")
    for column in ("measure", "n", "p50", "p90", "p99", "max"):
        table.add_column(column, justify="left" if column == "measure" else "right", no_wrap=True)
    rows = [("end to end", result["latency_ms"]), ("  with warm-up", result["latency_with_warmup_ms"])]
    rows += [(f"  stage {name}", value) for name, value in result["stages_ms"].items()]
    rows += [("POST round trip", result["post_ms"]), ("send lateness", result["send_lateness_ms"])]
    for name, s in rows:
        if s is None:
            table.add_row(name, "0", "—", "—", "—", "—")
        else:
            table.add_row(name, f"{s['n']:,}", f"{s['p50']:,}", f"{s['p90']:,}", f"{s['p99']:,}", f"{s['max']:,}")
    console.print(table, width=max(console.width, 100))
    info = result["machine"]
    during = info["load_average"]["during_1min"]
    console.print(
        f"achieved rate {result['achieved_rate']}/s; machine {info['cores']} cores, {info['memory_gb']} GiB; "
        f"load average before {info['load_average']['before']}, during {during['min']}–{during['max']} "
        f"(mean {during['mean']}), after {info['load_average']['after']}; CPU seconds {info['cpu_seconds_during_run']} "
        f"over the {info['run_seconds']} s of posting and draining",
        soft_wrap=True,
    )
    if json_out is not None:
        json_out.write_text(json.dumps(result, indent=2, default=str))
        console.print(f"results written to {json_out}")
    if result["scratch"]:
        console.print(f"scratch kept in {result['scratch']}")
    if result["ok"]:
        console.print("[green]Nothing lost, nothing duplicated.[/]")
        return
    console.print("[red]LOST OR DUPLICATED[/]: " + "; ".join(result["problems"]), highlight=False)
    for item in result["missing_sample"][:5]:
        console.print(f"  missing {item}", markup=False, highlight=False)
    raise typer.Exit(1)
