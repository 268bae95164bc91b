"""Background jobs of the feedback domain: imports run by `pulso worker`."""

from __future__ import annotations

import logging
from dataclasses import asdict
from pathlib import Path
from typing import Any

from pulso.feedback import service
from pulso.feedback.schemas import ImportOptions
from pulso.runtime import get_runtime
from pulso.worker import huey

log = logging.getLogger(__name__)


def run_import(path: str, options: ImportOptions, user_id: int | None = None) -> dict[str, Any]:
    """Import a stored file; the summary (counts, first errors) is the job's result."""
    runtime = get_runtime()
    runtime.migrate()
    try:
        report = service.import_file(runtime, Path(path), options, user_id=user_id)
    finally:
        # A worker must not keep the analytic store's file: `pulso serve` owns it when it runs.
        runtime.release_analytics()
    if report.inserted or report.updated:
        feedback_committed()
    summary = asdict(report)
    summary["errors"] = [asdict(e) for e in report.errors[:100]]
    summary["status"] = str(report.status)
    log.info("import %s of %s: %s", report.import_id, path, summary["status"])
    return summary


import_file_job = huey.task(name="feedback.import_file")(run_import)


def feedback_committed() -> None:
    """New or changed feedback is committed: queue what reads it (text analysis, the case rules)."""
    from pulso.cases.tasks import request_rules
    from pulso.text.tasks import request_analysis

    request_analysis()
    request_rules()
