"""`pulso bench cases`: the pure parts (schedule, matching, percentiles, stages), and one short real run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pulso.bench import logic
from pulso.bench.logic import Matching, Trace

TAG = "0a1b2c"


# --------------------------------------------------------------------------- the schedule


def test_schedule_is_evenly_spaced_at_the_rate() -> None:
    offsets = logic.send_schedule(50, 2)
    assert len(offsets) == 100
    assert offsets[0] == 0
    assert offsets[-1] == pytest.approx(99 / 50)
    gaps = np.diff(offsets)
    assert np.allclose(gaps, 1 / 50)


def test_schedule_rounds_the_count_and_may_be_empty() -> None:
    assert logic.send_schedule(3, 0.5) == [0.0, 1 / 3]  # 1.5 posts round to 2
    assert logic.send_schedule(5, 0) == []


@pytest.mark.parametrize(("rate", "seconds"), [(0, 1), (-1, 1), (float("nan"), 1), (float("inf"), 1), (1, -1)])
def test_schedule_refuses_what_is_not_a_rate_or_a_duration(rate: float, seconds: float) -> None:
    with pytest.raises(ValueError, match="must"):
        logic.send_schedule(rate, seconds)


# --------------------------------------------------------------------------- ids in e-mails


def test_external_id_is_the_tag_and_a_zero_padded_index() -> None:
    assert logic.external_id(TAG, 7) == "cl0a1b2c-000007"
    with pytest.raises(ValueError, match="hex"):
        logic.external_id("XYZ", 1)
    with pytest.raises(ValueError, match="index"):
        logic.external_id(TAG, 1_000_000)


def test_ids_are_found_in_an_email_once_each_and_only_this_runs() -> None:
    subject = "[Pulso] Nuevo caso #12: Detractor follow-up · cl0a1b2c-000042 · NPS 3"
    body = (
        "Hola Agent 1,\n\nCaso #12: Detractor follow-up · cl0a1b2c-000042 · NPS 3\n"
        "(another run: cl999999-000042; longer: cl0a1b2c-0000420; glued: xcl0a1b2c-000001)\n"
    )
    assert logic.ids_in(subject + "\n" + body, TAG) == ["cl0a1b2c-000042"]
    assert logic.ids_in("nothing here", TAG) == []
    assert logic.ids_in("cl0a1b2c-000002 and cl0a1b2c-000001", TAG) == ["cl0a1b2c-000002", "cl0a1b2c-000001"]


# --------------------------------------------------------------------------- matching


def test_matching_takes_the_first_arrival_and_counts_the_rest_as_duplicates() -> None:
    sent = {"a": 10.0, "b": 11.0, "c": 12.0}
    arrivals = [("b", 11.5), ("a", 10.2), ("a", 13.0), (None, 12.0), ("zz", 12.1), ("a", 12.5)]
    m = logic.match_arrivals(sent, arrivals)
    assert m.latencies == pytest.approx({"a": 0.2, "b": 0.5})
    assert m.duplicates == {"a": 2}
    assert m.duplicated == 2
    assert m.missing == ("c",)
    assert m.unexpected == 2


def test_a_clean_run_has_no_problem_and_each_fault_is_named() -> None:
    clean = logic.match_arrivals({"a": 0.0, "b": 1.0}, [("a", 0.3), ("b", 1.4)])
    assert logic.loop_problems(sent=2, accepted=2, cases=2, matching=clean) == []
    faulty = Matching(latencies={"a": 0.3}, duplicates={"a": 1}, missing=("b",), unexpected=1)
    problems = logic.loop_problems(sent=3, accepted=2, cases=1, matching=faulty)
    assert problems == [
        "1 of 3 posts were not accepted",
        "1 accepted posts got no e-mail",
        "1 duplicate e-mails (for 1 posts)",
        "1 cases opened for 2 accepted posts",
        "1 e-mails name no post of this run",
    ]


# --------------------------------------------------------------------------- percentiles and rate


def test_latency_percentiles_agree_with_numpy() -> None:
    values = list(np.random.default_rng(5).lognormal(-1, 0.8, 1001))
    summary = logic.latency(values)
    assert summary is not None
    assert summary.n == 1001
    for q, got in ((50, summary.p50), (90, summary.p90), (99, summary.p99)):
        assert got == pytest.approx(float(np.percentile(values, q)))
    assert summary.max == max(values)
    assert summary.min == min(values)
    assert summary.as_ms()["p99"] == round(summary.p99 * 1000, 1)


def test_latency_of_a_known_small_set() -> None:
    summary = logic.latency([0.1, 0.2, 0.3, 0.4, 1.0])
    assert summary is not None
    assert (summary.p50, summary.p90, summary.max) == pytest.approx((0.3, 0.76, 1.0))
    assert logic.latency([]) is None


def test_achieved_rate_counts_the_gaps_between_sends() -> None:
    assert logic.achieved_rate([0.0, 0.02, 0.04, 0.06]) == pytest.approx(50)
    assert logic.achieved_rate([5.0]) is None
    assert logic.achieved_rate([1.0, 1.0]) is None


def test_stages_add_up_to_the_whole_and_skip_unknown_ends() -> None:
    whole = Trace(sent=0.0, answered=0.05, opened=0.30, published=0.32, arrived=0.40)
    no_case = Trace(sent=1.0, answered=1.04, opened=None, published=None, arrived=None)
    stages = logic.stage_breakdown([whole, no_case])
    api = stages["api"]
    assert api is not None
    assert api.n == 2
    assert api.max == pytest.approx(0.05)
    parts = [stages[name] for name in ("to_rules_run", "in_rules_run", "to_smtp")]
    assert all(p is not None and p.n == 1 for p in parts)
    assert 0.05 + sum(p.p50 for p in parts if p is not None) == pytest.approx(0.40 - 0.0)


# --------------------------------------------------------------------------- one short real run


@pytest.mark.slow
def test_a_short_run_on_sqlite_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    """25 detractors at 5/s through a real `pulso serve` (SQLite store and queue) to the SMTP sink."""
    out = tmp_path / "result.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULSO_")} | {"PULSO_QUEUE": "immediate"}
    args = ["bench", "cases", "--rate", "5", "--seconds", "5", "--warmup", "0", "--drain", "60", "--json", str(out)]
    done = subprocess.run(
        [sys.executable, "-m", "pulso.cli", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads(out.read_text())
    counts = result["counts"]
    assert result["ok"] is True
    assert result["problems"] == []
    assert (counts["sent"], counts["accepted"], counts["cases"], counts["matched"]) == (25, 25, 25, 25)
    assert (counts["duplicates"], counts["missing"], counts["unexpected"]) == (0, 0, 0)
    assert counts["emails"] == 25
    assert counts["case_emails_by_status"] == {"sent": 25}
    assert result["latency_ms"]["n"] == 25
    assert result["backend"]["database"] == "sqlite"
    assert "Nothing lost, nothing duplicated." in done.stdout
