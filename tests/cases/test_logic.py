"""Pure rules of the cases domain: conditions, the status flow, SLA clocks, escalation, compensation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from pulso.accounts.enums import Role
from pulso.cases import logic
from pulso.cases.enums import CaseStatus, EscalationLevel, SlaKind
from pulso.kit.business_hours import BusinessCalendar, WeeklyHours, preset_calendar

T0 = datetime(2026, 3, 2, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ([], "condition"),
        ({"all": []}, "condition.all"),
        ({"all": [{"field": "nps"}], "any": []}, "condition"),
        ({"field": "colour", "op": "eq", "value": 1}, "condition.field"),
        ({"field": "nps", "op": "has", "value": 1}, "condition.op"),
        ({"field": "nps", "op": "lte", "value": 6.5}, "condition.value"),
        ({"field": "nps", "op": "lte", "value": True}, "condition.value"),
        ({"field": "csat", "op": "eq", "value": 0}, "condition.value"),
        ({"field": "sentiment_score", "op": "lt", "value": 2}, "condition.value"),
        ({"field": "sentiment", "op": "eq", "value": "angry"}, "condition.value"),
        ({"field": "channel", "op": "in", "value": "web"}, "condition.value"),
        ({"field": "key_account", "op": "is", "value": "yes"}, "condition.value"),
        ({"field": "product", "op": "eq", "value": 0}, "condition.value"),
        (
            {"any": [{"field": "nps", "op": "lte", "value": 6}, {"field": "ces", "op": "gte", "value": 8}]},
            "condition.any[1].value",
        ),
    ],
)
def test_a_bad_condition_names_its_part(data: object, path: str) -> None:
    with pytest.raises(logic.ConditionError) as err:
        logic.parse_condition(data)
    assert err.value.path == path


def test_conditions_round_trip_and_say_whether_they_read_text() -> None:
    data = {
        "all": [
            {"field": "nps", "op": "lte", "value": 6},
            {
                "any": [
                    {"field": "topic", "op": "has", "value": ["b", "a", "a"]},
                    {"field": "key_account", "op": "is", "value": True},
                ]
            },
        ]
    }
    condition = logic.parse_condition(data)
    assert logic.parse_condition(logic.condition_to_data(condition)) == condition
    assert logic.leaves(condition)[1].value == ("a", "b")
    assert logic.needs_text(condition)
    assert not logic.needs_text(logic.parse_condition({"field": "nps", "op": "lte", "value": 6}))


def test_too_deep_or_too_many() -> None:
    deep: dict[str, object] = {"field": "nps", "op": "lte", "value": 6}
    for _ in range(logic.MAX_DEPTH):
        deep = {"all": [deep]}
    with pytest.raises(logic.ConditionError, match="levels"):
        logic.parse_condition(deep)
    many = {"any": [{"field": "nps", "op": "eq", "value": i % 11} for i in range(logic.MAX_LEAVES + 1)]}
    with pytest.raises(logic.ConditionError, match="at most"):
        logic.parse_condition(many)


def test_matches_treats_unknown_values_as_no_match() -> None:
    detractor = logic.parse_condition({"field": "nps", "op": "lte", "value": 6})
    not_nine = logic.parse_condition({"field": "nps", "op": "ne", "value": 9})
    assert logic.matches(detractor, {"nps": 6})
    assert not logic.matches(detractor, {"nps": 7})
    assert not logic.matches(detractor, {"nps": None})
    assert not logic.matches(not_nine, {})
    either = logic.parse_condition(
        {"any": [{"field": "nps", "op": "lte", "value": 6}, {"field": "topic", "op": "has", "value": ["x"]}]}
    )
    assert logic.matches(either, {"nps": None, "topic": {"x", "y"}})


def test_the_status_flow() -> None:
    assert logic.can_move(CaseStatus.NEW, CaseStatus.IN_PROGRESS)
    assert logic.can_move(CaseStatus.WAITING, CaseStatus.RESOLVED)
    assert not logic.can_move(CaseStatus.NEW, CaseStatus.CLOSED)
    assert not logic.can_move(CaseStatus.CLOSED, CaseStatus.RESOLVED)
    assert logic.is_reopening(CaseStatus.CLOSED, CaseStatus.IN_PROGRESS)
    assert not logic.is_reopening(CaseStatus.WAITING, CaseStatus.IN_PROGRESS)


def test_a_clock_in_business_hours_hand_checked() -> None:
    # Madrid, Mon–Fri 9–18. Opened Friday 2026-12-04 at 17:00 local (16:00 UTC); first contact in 4 business
    # hours: one on Friday, Monday 7 December 9–12 for the other three → 12:00 local, 11:00 UTC. Resolution
    # in 16 h: Friday 1 h, Monday 9 h, Tuesday 8 December is a national holiday (Inmaculada), Wednesday 6 h.
    madrid = preset_calendar("ES", [2026])
    opened = datetime(2026, 12, 4, 16, tzinfo=UTC)
    targets = logic.SlaTargets(timedelta(hours=4), timedelta(hours=16), 0.5)
    clock = logic.sla_clock(opened, targets, madrid)
    assert clock.first_contact_due_at == datetime(2026, 12, 7, 11, tzinfo=UTC)
    assert clock.first_contact_warn_at == datetime(2026, 12, 7, 9, tzinfo=UTC)  # 2 h: Fri 1 h + Mon 9–10
    assert clock.resolution_due_at == datetime(2026, 12, 9, 14, tzinfo=UTC)
    paused = logic.sla_clock(opened, targets, madrid, paused=timedelta(hours=2))
    assert paused.resolution_due_at == datetime(2026, 12, 9, 16, tzinfo=UTC)


def test_pick_target_prefers_the_segment_row() -> None:
    rows = [logic.TargetRow("high", None, 60, 240), logic.TargetRow("high", "Premium", 30, 120)]
    assert logic.pick_target(rows, "high", "Premium") == rows[1]
    assert logic.pick_target(rows, "high", "Ocasional") == rows[0]
    assert logic.pick_target(rows, "low", None) is None


def _state(**values: object) -> logic.ClockState:
    base: dict[str, object] = {
        "status": CaseStatus.NEW,
        "escalation": EscalationLevel.OWNER,
        "contacted": False,
        "first_contact_due_at": T0 + timedelta(hours=1),
        "first_contact_warn_at": T0 + timedelta(minutes=30),
        "resolution_due_at": T0 + timedelta(hours=4),
        "resolution_warn_at": T0 + timedelta(hours=2),
        "first_contact_breached": False,
        "resolution_breached": False,
    }
    base.update(values)
    return logic.ClockState(**base)  # type: ignore[arg-type]


def test_clock_actions_warn_then_breach_then_nothing_more() -> None:
    assert not logic.clock_actions(_state(), T0).any
    warn = logic.clock_actions(_state(), T0 + timedelta(minutes=31))
    assert (warn.warnings, warn.escalate_to) == ((SlaKind.FIRST_CONTACT,), EscalationLevel.SUPERVISOR)
    again = logic.clock_actions(_state(escalation=EscalationLevel.SUPERVISOR), T0 + timedelta(minutes=40))
    assert not again.any
    breach = logic.clock_actions(_state(escalation=EscalationLevel.SUPERVISOR), T0 + timedelta(minutes=61))
    assert (breach.breaches, breach.escalate_to) == ((SlaKind.FIRST_CONTACT,), EscalationLevel.MANAGER)
    done = _state(escalation=EscalationLevel.MANAGER, first_contact_breached=True)
    assert not logic.clock_actions(done, T0 + timedelta(minutes=90)).any
    contacted = _state(contacted=True)
    assert not logic.clock_actions(contacted, T0 + timedelta(hours=1, minutes=30)).any
    both = logic.clock_actions(_state(), T0 + timedelta(hours=5))
    assert set(both.breaches) == {SlaKind.FIRST_CONTACT, SlaKind.RESOLUTION}


def test_a_waiting_or_closed_case_has_no_clock() -> None:
    late = T0 + timedelta(days=3)
    for status in (CaseStatus.WAITING, CaseStatus.RESOLVED, CaseStatus.CLOSED):
        assert not logic.clock_actions(_state(status=status), late).any


def test_next_level_and_round_robin() -> None:
    assert logic.next_level(EscalationLevel.OWNER) is EscalationLevel.SUPERVISOR
    assert logic.next_level(EscalationLevel.MANAGER) is None
    assert logic.next_in_turn([], None) is None
    assert logic.next_in_turn([5, 3, 9], None) == 3
    assert logic.next_in_turn([5, 3, 9], 5) == 9
    assert logic.next_in_turn([5, 3, 9], 9) == 3
    assert logic.next_in_turn([5, 3, 9], 4) == 5  # the last one left the team


def test_amounts_and_limits() -> None:
    assert logic.parse_amount("12,50") == Decimal("12.50")
    for bad in ("0", "-3", "1.234", "abc", "NaN"):
        with pytest.raises(ValueError, match=r"."):
            logic.parse_amount(bad)
    assert logic.compensation_refusal(Role.ADMIN, Decimal(10**6), Decimal(0), None) is None
    assert logic.compensation_refusal(Role.AGENT, Decimal(10), Decimal(0), None) is not None
    assert logic.compensation_refusal(Role.AGENT, Decimal(200), Decimal(300), Decimal(500)) is None
    assert logic.compensation_refusal(Role.AGENT, Decimal("200.01"), Decimal(300), Decimal(500)) is not None


def test_a_lunch_break_calendar_pushes_the_due_time() -> None:
    calendar = BusinessCalendar("UTC", WeeklyHours.from_dict({"mon": ["09:00-13:00", "14:00-18:00"]}), frozenset())
    assert logic.sla_due_at(T0, timedelta(hours=4), calendar, timedelta(0)) == datetime(2026, 3, 2, 15, tzinfo=UTC)
