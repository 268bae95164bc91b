"""Background jobs of the text domain: analyse new comments within seconds, learn and discover daily."""

from __future__ import annotations

import logging
import threading
from dataclasses import asdict
from typing import Any

from huey import crontab

from pulso.runtime import get_runtime
from pulso.text import service
from pulso.worker import huey

log = logging.getLogger(__name__)


_running = threading.Lock()


# A job reads at most this many comments, then queues the next part: a backlog of millions (a first
# import) never holds a worker thread for hours, and stopping the server waits for one part only.
JOB_COMMENTS = 5_000


def run_analysis() -> dict[str, Any]:
    """Analyse up to JOB_COMMENTS comments the live models have not read; queue the rest as a new job.

    In one process one run at a time: a request arriving while a run is going is left to that run,
    which queues a follow-up while comments remain. Across processes two runs only repeat work.
    """
    if not _running.acquire(blocking=False):
        return {"analysed": 0, "skipped": "a run is going"}
    try:
        result = service.analyze_pending(get_runtime().sessions, limit=JOB_COMMENTS)
        if result.analysed:
            log.info("text analysis: %s comments in %.1fs, %s left", result.analysed, result.seconds, result.remaining)
    finally:
        _running.release()
    if result.analysed:
        from pulso.cases.tasks import request_rules

        request_rules()  # rules on sentiment or topics waited for this analysis
    if result.analysed and result.remaining:
        request_analysis()
    return {"analysed": result.analysed, "version": result.version, "remaining": result.remaining}


analyze_pending_job = huey.task(name="text.analyze_pending")(run_analysis)


def request_analysis() -> None:
    """Queue an analysis of new comments (after an import or an API call has committed them)."""
    if not get_runtime().settings.text_analysis:
        return
    try:
        analyze_pending_job()
    except Exception:  # the queue is down: the periodic run catches up, nothing is lost
        log.exception("could not queue the text analysis; the periodic run will catch up")


@huey.periodic_task(crontab(minute="*"), name="text.analyze_periodic")  # type: ignore[untyped-decorator]
def analyze_periodic() -> None:
    """Catch up on comments whose queued analysis was lost (a crash, a queue outage)."""
    request_analysis()  # queued, not run here: the periodic scheduler must not wait for it


@huey.periodic_task(crontab(hour="3", minute="17"), name="text.learn_nightly")  # type: ignore[untyped-decorator]
def learn_nightly() -> dict[str, Any]:
    """Retrain on the organisation's labels and look for new themes; then re-read with the new models."""
    runtime = get_runtime()
    with runtime.sessions() as session, session.begin():
        sentiment = service.retrain_sentiment(session)
        topics = service.retrain_topics(session)
        themes = service.discover_themes(session)
    if sentiment.promoted or topics.promoted:
        request_analysis()
    return {"sentiment": asdict(sentiment), "topics": asdict(topics), "themes": len(themes)}
