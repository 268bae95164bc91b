"""Background jobs of the cases domain: rules on new feedback within seconds, the SLA clock every minute."""

from __future__ import annotations

import logging
import threading
from typing import Any

from huey import crontab

from pulso.cases import service
from pulso.kit.db import utcnow
from pulso.runtime import get_runtime
from pulso.worker import huey

log = logging.getLogger(__name__)

_state = threading.Lock()
_busy = False
_pending = False


def run_rules() -> dict[str, Any]:
    """Run the rules over the feedback changed since the last run, until none is left.

    In one process one run at a time: a request arriving during a run makes that run go round once
    more, so no request is lost and a burst of arrivals costs a few runs, not one each. Across
    processes two runs may overlap; the one-case-per-feedback key keeps them from opening a case twice.
    """
    global _busy, _pending
    with _state:
        if _busy:
            _pending = True
            return {"opened": 0, "skipped": "a run is going"}
        _busy = True
    opened = 0
    try:
        runtime = get_runtime()
        while True:
            with _state:
                _pending = False
            while True:
                with runtime.sessions() as session, session.begin():
                    result = service.run_rules(session, now=utcnow(), text_analysis=runtime.settings.text_analysis)
                opened += len(result.opened)
                if result.opened:
                    log.info("rules: %s feedback read, %s cases opened", result.read, len(result.opened))
                if not result.remaining:
                    break
            with _state:
                if not _pending:
                    _busy = False
                    break
    except BaseException:
        with _state:
            _busy = False
        raise
    return {"opened": opened}


run_rules_job = huey.task(name="cases.run_rules")(run_rules)


def request_rules() -> None:
    """Queue a run of the rules (after feedback, or its text analysis, has been committed)."""
    try:
        run_rules_job()
    except Exception:  # the queue is down: the periodic run catches up, nothing is lost
        log.exception("could not queue the case rules; the periodic run will catch up")


@huey.periodic_task(crontab(minute="*"), name="cases.rules_periodic")  # type: ignore[untyped-decorator]
def rules_periodic() -> None:
    """Catch up on feedback whose queued rules run was lost (a crash, a queue outage)."""
    request_rules()


def check_clocks() -> dict[str, int]:
    """Record SLA breaches and escalate what is about to breach, in parts of at most 500 cases."""
    runtime = get_runtime()
    totals = {"checked": 0, "warned": 0, "breached": 0, "escalated": 0}
    while True:
        with runtime.sessions() as session, session.begin():
            result = service.check_clocks(session, now=utcnow())
        for key in totals:
            totals[key] += getattr(result, key)
        if result.checked < 500:
            break
    if totals["breached"] or totals["escalated"]:
        log.info("SLA clock: %s", totals)
    return totals


@huey.periodic_task(crontab(minute="*"), name="cases.check_clocks")  # type: ignore[untyped-decorator]
def check_clocks_periodic() -> dict[str, int]:
    return check_clocks()
