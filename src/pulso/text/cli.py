"""`pulso text analyze|backfill|learn|discover|eval`: text analytics from the command line."""

from __future__ import annotations

import csv
import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

text_app = typer.Typer(
    help="Text analytics: language, sentiment, topics, key phrases. / Analítica de texto: idioma, sentimiento, temas.",
    no_args_is_help=True,
)
console = Console(stderr=True)

FORMATS = ("csv", "jsonl")


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )


def _read_comments(path: Path, column: str) -> tuple[list[dict[str, Any]], list[str]]:
    from pulso.feedback import service as feedback
    from pulso.feedback.enums import ImportKind
    from pulso.feedback.logic import ROW, UnusableFile
    from pulso.feedback.schemas import ImportOptions

    try:
        frame = feedback.read_table(path, ImportOptions(kind=ImportKind.FEEDBACK))
    except UnusableFile as exc:
        console.print(f"[red]error[/]: {path}: {exc}")
        raise typer.Exit(2) from exc
    if column not in frame.columns:
        present = ", ".join(c for c in frame.columns if c != ROW)
        console.print(f"[red]error[/]: --column {column!r} is not in {path.name} (columns: {present})")
        raise typer.Exit(2)
    rows = frame.drop(ROW).to_dicts() if ROW in frame.columns else frame.to_dicts()
    return rows, ["" if r[column] is None else str(r[column]) for r in rows]


@text_app.command()
def analyze(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV, XLSX or JSON Lines of comments.")],
    column: Annotated[str, typer.Option("--column", "-c", help="The column holding the comments.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Where to write (default: standard output).")
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="csv or jsonl (default: by the output's suffix, else csv).")
    ] = "",
    phrases: Annotated[int, typer.Option(help="Key phrases per comment.")] = 5,
) -> None:
    """Annotate every comment of a file: language, sentiment label and score, topics, key phrases.
    / Anota cada comentario de un archivo."""
    from pulso.text.analysis.pipeline import Analyzer

    fmt = fmt or ("jsonl" if output is not None and output.suffix.lower() in (".jsonl", ".ndjson") else "csv")
    if fmt not in FORMATS:
        console.print(f"[red]error[/]: --format {fmt!r}: use csv or jsonl")
        raise typer.Exit(2)
    rows, comments = _read_comments(file, column)
    engine = Analyzer.shipped()
    started = time.perf_counter()
    annotations = []
    with _progress() as progress:
        task = progress.add_task("Analysing / analizando", total=len(comments))
        for start in range(0, len(comments), 512):
            annotations += engine.analyze(comments[start : start + 512], phrases=phrases)
            progress.update(task, completed=len(annotations))
    seconds = time.perf_counter() - started
    names = {t.key: t.name_en for t in engine.topics.taxonomy.topics}
    out_rows = []
    for row, a in zip(rows, annotations, strict=True):
        extra = {
            "language": a.language,
            "sentiment": a.sentiment,
            "sentiment_score": round(a.score, 4),
            "topics": [t.key for t in a.topics],
            "topic_names": [names.get(t.key, t.key) for t in a.topics],
            "topic_sentiments": [None if t.sentiment is None else round(t.sentiment, 4) for t in a.topics],
            "key_phrases": list(a.key_phrases),
        }
        out_rows.append({**row, **extra})
    handle = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
    try:
        if fmt == "jsonl":
            for r in out_rows:
                handle.write(json.dumps(r, ensure_ascii=False, default=str) + "\n")
        else:
            from pulso.kit.export import spreadsheet_safe

            fields = list(out_rows[0]) if out_rows else [column]
            writer = csv.writer(handle)
            writer.writerow(fields)
            for r in out_rows:
                cells = ["|".join(map(str, v)) if isinstance(v, list) else v for v in r.values()]
                writer.writerow([spreadsheet_safe(c) if isinstance(c, str) else c for c in cells])
    finally:
        if output:
            handle.close()
    rate = len(comments) / seconds if seconds else 0.0
    console.print(
        f"{len(comments):,} comments in {seconds:.1f} s ({rate:,.0f}/s) with {engine.version}"
        + (f" → {output}" if output else "")
    )


@text_app.command()
def backfill(
    limit: Annotated[int | None, typer.Option(help="At most this many comments.")] = None,
) -> None:
    """Analyse every stored comment the live models have not read yet (resumable). / Analiza lo pendiente."""
    from pulso.runtime import get_runtime
    from pulso.text import service

    runtime = get_runtime()
    runtime.migrate()
    with _progress() as progress:
        task = progress.add_task("Analysing / analizando", total=None)

        def tick(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        result = service.analyze_pending(runtime.sessions, limit=limit, progress=tick)
    rate = result.analysed / result.seconds if result.seconds else 0.0
    console.print(
        f"{result.analysed:,} comments analysed in {result.seconds:.1f} s ({rate:,.0f}/s) with {result.version}; "
        f"{result.remaining:,} left / pendientes"
    )


@text_app.command()
def learn() -> None:
    """Retrain sentiment on the organisation's scores and corrections, and topics on corrections; a new
    sentiment model goes live only if it scores better on held-out comments. / Reentrena los modelos."""
    from pulso.runtime import get_runtime
    from pulso.text import service

    runtime = get_runtime()
    runtime.migrate()
    with runtime.sessions() as session, session.begin():
        sentiment = service.retrain_sentiment(session)
        topics = service.retrain_topics(session)
    for report in (sentiment, topics):
        live = ", ".join(f"{k} {v:.3f}" for k, v in report.live.items() if k != "n")
        candidate = ", ".join(f"{k} {v:.3f}" for k, v in report.candidate.items() if k != "n")
        verdict = "[green]promoted[/]" if report.promoted else "kept the live model"
        console.print(
            f"[bold]{report.kind}[/]: {report.examples:,} examples, {report.held_out:,} held out; "
            f"live {report.live_version} ({live or '—'}); candidate {report.candidate_version or '—'} "
            f"({candidate or '—'}): {verdict} — {report.reason}"
        )
    if sentiment.promoted or topics.promoted:
        console.print("Run `pulso text backfill` to read the comments again with the new models.")


@text_app.command()
def discover(
    limit: Annotated[int, typer.Option(help="Newest unassigned comments to look at.")] = 5000,
) -> None:
    """Look for new themes among comments no topic fits; they wait for acceptance on the Topics page.
    / Busca temas nuevos entre los comentarios sin tema."""
    from pulso.runtime import get_runtime
    from pulso.text import service

    runtime = get_runtime()
    runtime.migrate()
    with runtime.sessions() as session, session.begin():
        themes = service.discover_themes(session, limit=limit)
        for t in themes:
            console.print(f"{t.size:>6,}  {', '.join(t.key_words[:8])}")
    console.print(f"{len(themes)} themes proposed / temas propuestos")
