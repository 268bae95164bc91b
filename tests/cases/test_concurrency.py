"""Two workers, one case: rules run at once from two threads (own connections) open each case once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pulso.cases import repository, service
from pulso.cases.enums import CaseEventKind
from pulso.cases.models import Case, CaseEvent, CaseRule
from pulso.notifications.models import Notification
from pulso.runtime import Runtime
from tests.cases.conftest import DETRACTOR, MONDAY, Org, add_rule, tx
from tests.factories import make_feedback


def _together(workers: int, work: Callable[[], Any]) -> list[Any]:
    """Run `work` in several threads released at the same instant; re-raise the first error."""
    barrier = threading.Barrier(workers)
    results: list[Any] = []
    errors: list[BaseException] = []

    def run() -> None:
        barrier.wait()
        try:
            results.append(work())
        except BaseException as exc:  # handed back to the test thread
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    if errors:
        raise errors[0]
    return results


def test_two_workers_running_the_rules_open_each_case_once(runtime: Runtime, session: Session, org: Org) -> None:
    with tx(session):
        add_rule(session, org, "Detractores", DETRACTOR)
        ids = [make_feedback(session, nps=i % 7, team_id=org.team.id).id for i in range(40)]

    def work() -> int:
        with runtime.sessions() as s, s.begin():
            return len(service.run_rules(s, now=MONDAY, text_analysis=False).opened)

    opened = _together(2, work)
    assert sum(opened) == len(ids)
    with tx(session):
        per_feedback = session.execute(select(Case.feedback_id, func.count()).group_by(Case.feedback_id)).all()
        assert sorted(f for f, _ in per_feedback if f is not None) == ids
        assert {n for _, n in per_feedback} == {1}
        opened_events = session.execute(
            select(func.count()).select_from(CaseEvent).where(CaseEvent.kind == CaseEventKind.OPENED)
        ).scalar_one()
        assert opened_events == len(ids)
        assert session.execute(select(func.count()).select_from(Notification)).scalar_one() == len(ids)
        owners = session.execute(select(Case.owner_id, func.count()).group_by(Case.owner_id)).all()
    # The round robin stays fair under the race: 40 cases over 3 agents.
    assert sorted(n for _, n in owners) == [13, 13, 14]


def test_two_workers_opening_the_same_feedback_race_to_one_case(runtime: Runtime, session: Session, org: Org) -> None:
    with tx(session):
        rule_id = add_rule(session, org, "Detractores", DETRACTOR).id
        fid = make_feedback(session, nps=1, team_id=org.team.id).id

    def work() -> int | None:
        with runtime.sessions() as s, s.begin():
            rule = s.get(CaseRule, rule_id)
            assert rule is not None
            [fb] = repository.feedback_for_cases(s, [fid])
            return service.open_case(s, fb, rule, now=MONDAY)

    results = _together(4, work)
    assert sum(r is not None for r in results) == 1
    with tx(session):
        assert session.execute(select(func.count()).select_from(Case)).scalar_one() == 1
        assert session.execute(select(func.count()).select_from(Notification)).scalar_one() == 1
