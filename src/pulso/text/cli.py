"""`pulso text analyze|backfill|learn|discover|eval`: text analytics from the command line."""

from __future__ import annotations

import csv
import json
import os
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


@text_app.command("eval")
def evaluate(
    data: Annotated[
        Path, typer.Option(help="The labelled files (airline_tweets_en.csv, spanish_airline_tweets_es.csv).")
    ] = Path("../shared/data"),
    cache: Annotated[Path | None, typer.Option(help="Keep the files' embeddings here between runs.")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write every figure as JSON.")] = None,
    learning: Annotated[bool, typer.Option("--learning/--no-learning", help="Run the k-fold learning curves.")] = True,
    speed_n: Annotated[int, typer.Option("--speed-n", help="Tweets timed through the whole pipeline.")] = 3000,
) -> None:
    """Measure the analysis on labelled public data: language, sentiment as shipped and after learning,
    topics, discovered themes, speed and memory. / Mide la calidad y la velocidad del análisis."""
    from dataclasses import asdict

    from rich.table import Table

    from pulso.text.analysis import eval_pipeline, eval_sentiment, eval_topics
    from pulso.text.analysis.pipeline import Analyzer

    missing = [name for name in eval_sentiment.FILES.values() if not (data / name).exists()]
    if missing:
        console.print(f"[red]error[/]: {data} lacks {', '.join(missing)} (see ../shared/data/README.md)")
        raise typer.Exit(2)
    out = Console()
    sizes: tuple[int | None, ...] = (200, 1000, None) if learning else ()
    report = eval_sentiment.run(data, cache_dir=cache, sizes=sizes)

    table = Table(title="Language / idioma (share detected as the file's language)")
    for column in ("file", "n", "accuracy", "1–3 words", "4+ words"):
        table.add_column(column, justify="right")
    for lang in report.languages:
        table.add_row(
            lang.language,
            f"{lang.n:,}",
            f"{lang.accuracy:.3f}",
            f"{lang.short_accuracy:.3f} (n={lang.short_n:,})",
            f"{lang.long_accuracy:.3f} (n={lang.long_n:,})",
        )
    out.print(table)

    table = Table(title="Sentiment / sentimiento (3 classes; AUC: positive vs negative from the score)")
    for column in ("file", "model", "accuracy", "macro-F1", "AUC"):
        table.add_column(column, justify="right")
    for language, s in report.shipped.items():
        table.add_row(language, "as shipped", f"{s.accuracy:.3f}", f"{s.macro_f1:.3f}", f"{s.auc:.3f}")
    for p in report.learned:
        what = "all labels" if p.size is None else f"{p.size:,} labels"
        table.add_row(
            p.language,
            f"+ {what} ({p.folds}-fold)",
            f"{p.accuracy:.3f}",
            f"{p.macro_f1:.3f} ± {p.macro_f1_std:.3f}",
            f"{p.auc:.3f} ± {p.auc_std:.3f}",
        )
    out.print(table)

    topics = eval_topics.evaluate(data, cache_dir=cache, learning=learning)
    table = Table(title="Topics / temas: airline negative reasons, forced top-1 among nine")
    for column in ("subset", "n", "accuracy (calibrated)", "accuracy (not calibrated)"):
        table.add_column(column, justify="right")
    cal, raw = topics["accuracy_calibrated"], topics["accuracy_uncalibrated"]
    for key, label in (
        ("overall", "all"),
        ("high_confidence", f"confidence ≥ {cal['high_confidence_threshold']}"),
        ("without_leak", "without leaked label strings"),
        ("high_confidence_without_leak", "high confidence, no leak"),
    ):
        table.add_row(label, f"{cal[key]['n']:,}", f"{cal[key]['accuracy']:.3f}", f"{raw[key]['accuracy']:.3f}")
    out.print(table)
    d = topics["discovery"]
    out.print(
        f"Discovered themes / temas descubiertos: AMI {d['ami']:.3f} against the reasons "
        f"({d['themes']} themes, {d['unassigned']:,} of {d['n']:,} tweets in none, {d['seconds']:.1f} s)"
    )
    for point in topics.get("learning", []):
        out.print(
            f"  topics after {point['corrections']:,} corrections: accuracy {point['held_out']['accuracy']:.3f} "
            f"on {point['held_out']['n']:,} held-out tweets"
        )

    analyzer = Analyzer.shipped()
    tweets = eval_sentiment.load(data, "en").texts + eval_sentiment.load(data, "es").texts
    tweets = tweets[::3][:speed_n]
    speeds = [
        eval_pipeline.measure(analyzer, tweets, "tweets"),
        eval_pipeline.measure(analyzer, eval_pipeline.reviews_from(tweets * 4)[: max(200, speed_n // 10)], "reviews"),
    ]
    for sp in speeds:
        out.print(
            f"Whole pipeline / todo el análisis, {sp.kind} ({sp.mean_chars:.0f} characters on average): "
            f"{sp.per_second:,.0f} comments/s ({sp.n:,} in {sp.seconds:.1f} s, {os.cpu_count()} cores)"
        )
    memory = eval_pipeline.resident_mib()
    out.print(f"Memory of this process with the models loaded / memoria: {memory:,.0f} MiB resident")
    if json_out is not None:
        payload = {
            "languages": [asdict(x) for x in report.languages],
            "sentiment_shipped": {k: asdict(v) for k, v in report.shipped.items()},
            "sentiment_learned": [asdict(x) for x in report.learned],
            "topics": topics,
            "pipeline": [asdict(x) for x in speeds],
            "memory_mib": memory,
            "cores": os.cpu_count(),
        }
        json_out.write_text(json.dumps(payload, indent=2, default=float), encoding="utf-8")
        console.print(f"written to {json_out}")


@text_app.command()
def terms(
    by: Annotated[str, typer.Option(help="segment, channel, touchpoint, product or sentiment.")] = "segment",
    language: Annotated[str, typer.Option(help="es or en (words are stemmed per language).")] = "es",
    top: Annotated[int, typer.Option(help="Words per group.")] = 12,
    limit: Annotated[int, typer.Option(help="Newest analysed comments to read.")] = 20_000,
) -> None:
    """The words each group's comments use more than the others' (z-scores). / Palabras distintivas por grupo."""
    from pulso.kit.errors import PulsoError
    from pulso.runtime import get_runtime
    from pulso.text import service

    runtime = get_runtime()
    runtime.migrate()
    try:
        with runtime.sessions() as session, session.begin():
            groups = service.distinctive_terms_by(session, by, language=language, top=top, limit=limit)
    except PulsoError as exc:
        console.print(f"[red]error[/]: {exc.message}")
        raise typer.Exit(2) from exc
    out = Console()
    for g in groups:
        words = ", ".join(f"{term} ({z:.1f})" for term, z in g.terms)
        out.print(f"[bold]{g.group}[/] ({g.comments:,} comments): {words or '—'}")
    if not groups:
        console.print("No group has 30 analysed comments in that language yet / ningún grupo tiene 30 comentarios")
