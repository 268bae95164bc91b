"""Background jobs of notifications: deliver what was published, retry on schedule, sweep every minute."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from huey import crontab

from pulso.kit.db import utcnow
from pulso.notifications import service
from pulso.runtime import get_runtime
from pulso.worker import huey

log = logging.getLogger(__name__)


def _summary(report: service.DeliveryReport) -> dict[str, Any]:
    return {
        "sent": len(report.sent),
        "retrying": len(report.retrying),
        "dead": len(report.dead),
        "unsent": len(report.unsent),
    }


def schedule_retries(retrying: dict[int, datetime], *, now: datetime) -> None:
    """Queue one delivery job per retry time; the sweep is the safety net if the queue loses them."""
    by_time: dict[datetime, list[int]] = {}
    for notification_id, at in retrying.items():
        by_time.setdefault(at, []).append(notification_id)
    for at, ids in sorted(by_time.items()):
        delay = max(1.0, (at - now).total_seconds()) + 1.0  # a second late rather than early
        try:
            deliver_job.schedule(args=(sorted(ids),), delay=delay)
        except Exception:  # the queue is down: the periodic sweep finds them when they are due
            log.exception("could not schedule the retry of notifications %s; the sweep will", ids)


def run_delivery(ids: Sequence[int]) -> dict[str, Any]:
    """Deliver these notifications now and schedule the retries of those that failed."""
    now = utcnow()
    report = service.deliver(get_runtime(), list(ids), now=now)
    schedule_retries(report.retrying, now=now)
    if report.dead:
        log.warning("notifications %s gave up (dead letters): see /admin/notifications", report.dead)
    return _summary(report)


deliver_job = huey.task(name="notifications.deliver")(run_delivery)


def request_delivery(ids: Sequence[int]) -> None:
    """Queue the delivery of notifications just committed (publish and replay call it after commit)."""
    if not ids:
        return
    try:
        deliver_job(list(ids))
    except Exception:  # the queue is down: the rows are stored, the sweep delivers them
        log.exception("could not queue notifications %s; the periodic sweep will deliver them", list(ids))


def run_sweep() -> dict[str, Any]:
    """Deliver everything due: rows whose job was lost, retries, claims of a worker that died."""
    now = utcnow()
    report = service.deliver_due(get_runtime(), now=now)
    # Rows that failed again are due later; the next sweeps (or these jobs) come back for them.
    schedule_retries(report.retrying, now=now)
    if report.handled:
        log.info("notifications sweep: %s", _summary(report))
    return _summary(report)


@huey.periodic_task(crontab(minute="*"), name="notifications.sweep")  # type: ignore[untyped-decorator]
def sweep() -> dict[str, Any]:
    """Every minute: nothing waits for long because a job was lost or the worker restarted."""
    return run_sweep()
