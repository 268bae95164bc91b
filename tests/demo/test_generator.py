"""The demo generator: sizes, shapes, references, determinism, and each planted pattern's signature."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pulso.demo import company, generator, signatures
from pulso.demo.generator import (
    CUSTOMER_COLUMNS,
    FEEDBACK_COLUMNS,
    INTERACTION_COLUMNS,
    DemoFrames,
    Plan,
    canonical,
    generate,
)

NOW = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)  # 09:30 in Mexico City
SIZE = 20_000


@pytest.fixture(scope="module")
def frames() -> DemoFrames:
    return generate(Plan.ending_yesterday(SIZE, 7, NOW))


# --- plan and shapes -------------------------------------------------------------------------------


def test_the_year_ends_yesterday_in_the_organisation_time_zone() -> None:
    plan = Plan.ending_yesterday(1000, 1, datetime(2026, 3, 1, 3, 0, tzinfo=UTC))  # 28 Feb, 21:00 in CDMX
    assert plan.end == date(2026, 2, 27)
    assert plan.start == date(2025, 2, 28)
    assert plan.launch_date == plan.end - timedelta(days=company.LAUNCH_DAYS_BEFORE_END)


def test_plan_rejects_naive_now_and_silly_sizes() -> None:
    with pytest.raises(ValueError, match="aware"):
        Plan.ending_yesterday(1000, 1, datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="size"):
        Plan(size=10, seed=1, end=date(2026, 1, 1))
    with pytest.raises(ValueError, match="size"):
        Plan(size=20_000_000, seed=1, end=date(2026, 1, 1))


def test_sizes(frames: DemoFrames) -> None:
    assert frames.feedback.height == SIZE
    assert frames.interactions.height == round(SIZE * 1.2)
    assert frames.customers.height == SIZE // 5
    agents = frames.users.filter(pl.col("role") == "agent")
    assert 40 <= agents.height <= 60
    assert agents["code"].to_list()[:2] == ["AG-001", "AG-002"]
    assert frames.users.filter(pl.col("role") == "supervisor")["team"].sort().to_list() == sorted(company.SERVICE_TEAMS)
    assert frames.users["email"].n_unique() == frames.users.height
    assert frames.stages.height == 5
    assert 18 <= frames.touchpoints.height <= 24
    assert frames.touchpoints["is_moment_of_truth"].sum() >= 4
    assert 30 <= frames.products.height <= 60
    assert set(frames.teams["kind"]) >= {"service", "sales", "marketing", "product", "logistics", "billing"}


def test_canonical_columns_come_first_and_the_rest_are_private(frames: DemoFrames) -> None:
    assert tuple(canonical(frames.customers).columns) == CUSTOMER_COLUMNS
    assert tuple(canonical(frames.interactions).columns) == INTERACTION_COLUMNS
    assert tuple(canonical(frames.feedback).columns) == FEEDBACK_COLUMNS
    for column in ("opened_at", "first_response_at", "resolved_at"):
        assert frames.interactions.schema[column] == pl.Datetime("us", "UTC")
    assert frames.feedback.schema["received_at"] == pl.Datetime("us", "UTC")


def test_every_timestamp_is_inside_the_year(frames: DemoFrames) -> None:
    plan = frames.plan
    tz = plan.timezone
    first = frames.interactions["opened_at"].min()
    last = frames.feedback["received_at"].max()
    assert isinstance(first, datetime)
    assert isinstance(last, datetime)
    assert first.tzinfo is not None
    local = frames.feedback.select(pl.col("received_at").dt.convert_time_zone(tz).dt.date())["received_at"]
    assert local.min() == plan.start
    assert local.max() == plan.end
    end = datetime.combine(plan.end + timedelta(days=1), time(0), tzinfo=ZoneInfo(tz))
    for column in ("opened_at", "first_response_at", "resolved_at"):
        assert frames.interactions[column].max() < end  # type: ignore[operator]


def test_references_resolve(frames: DemoFrames) -> None:
    fb, it = frames.feedback, frames.interactions
    customers = frames.customers["external_id"]
    assert it["customer"].is_in(customers.implode()).all()
    assert fb["customer"].drop_nulls().is_in(customers.implode()).all()
    assert fb["interaction"].drop_nulls().is_in(it["external_id"].implode()).all()
    codes = frames.users["code"].drop_nulls()
    assert it["agent"].is_in(codes.implode()).all()
    assert fb["agent"].drop_nulls().is_in(codes.implode()).all()
    tps = frames.touchpoints["code"]
    assert it["touchpoint"].is_in(tps.implode()).all()
    assert fb["touchpoint"].drop_nulls().is_in(tps.implode()).all()
    skus = frames.products["sku"]
    assert fb["product"].drop_nulls().is_in(skus.implode()).all()
    assert fb["team"].drop_nulls().is_in(frames.teams["name"].implode()).all()
    assert it["external_id"].n_unique() == it.height
    assert fb["external_id"].n_unique() == fb.height


def test_interactions_are_consistent(frames: DemoFrames) -> None:
    it = frames.interactions
    assert (it["opened_at"] <= it["first_response_at"]).drop_nulls().all()
    assert (it["first_response_at"] <= it["resolved_at"]).drop_nulls().all()
    assert it["opened_at"].is_sorted()
    open_ones = it.filter(pl.col("status").is_in(["open", "pending"]))
    assert open_ones["resolved_at"].null_count() == open_ones.height
    done = it.filter(pl.col("status").is_in(["resolved", "closed"]))
    assert done["resolved_at"].null_count() == 0
    assert done["contacts_to_resolve"].min() == 1
    # A post-contact survey comes after the contact was resolved.
    linked = frames.feedback.filter(pl.col("_kind") == "post_contact").join(
        it.select(interaction="external_id", resolved="resolved_at"), on="interaction"
    )
    assert (linked["received_at"] >= linked["resolved"]).all()


def test_scores_are_in_range_and_where_they_belong(frames: DemoFrames) -> None:
    fb = frames.feedback
    assert fb.select(pl.col("nps").min().alias("lo"), pl.col("nps").max().alias("hi")).row(0) == (0, 10)
    assert fb.select(pl.col("csat").min().alias("lo"), pl.col("csat").max().alias("hi")).row(0) == (1, 5)
    assert fb.select(pl.col("ces").min().alias("lo"), pl.col("ces").max().alias("hi")).row(0) == (1, 7)
    reviews = fb.filter(pl.col("source") == "review")
    assert reviews["rating"].null_count() == 0
    assert reviews["product"].null_count() == 0
    wordy = fb.filter(pl.col("source").is_in(["complaint", "social"]))
    assert wordy["comment"].null_count() == 0
    assert wordy.select(pl.sum_horizontal(pl.col("nps", "csat", "ces", "rating").is_not_null().sum())).item() == 0
    assert set(fb["source"].unique()) == {"survey", "review", "complaint", "social"}
    assert set(fb["language"].unique()) == {"es", "en"}


def test_polarity_follows_the_score_outside_the_coached_team(frames: DemoFrames) -> None:
    honest = frames.feedback.filter(
        pl.col("comment").is_not_null()
        & pl.col("nps").is_not_null()
        & (pl.col("team").is_null() | (pl.col("team") != company.COACHING_TEAM))
    )
    expected = (
        pl.when(pl.col("nps") <= 6).then(pl.lit("negative")).when(pl.col("nps") <= 8).then(pl.lit("neutral"))
    ).otherwise(pl.lit("positive"))
    assert honest.select((pl.col("_polarity") == expected).all()).item()
    csat_only = frames.feedback.filter(
        pl.col("comment").is_not_null() & pl.col("nps").is_null() & pl.col("csat").is_not_null()
        & (pl.col("team") != company.COACHING_TEAM)
    )  # fmt: skip
    assert csat_only.filter(pl.col("csat") <= 2)["_polarity"].unique().to_list() == ["negative"]
    assert csat_only.filter(pl.col("csat") >= 4)["_polarity"].unique().to_list() == ["positive"]


def test_determinism() -> None:
    a = generate(Plan.ending_yesterday(1500, 3, NOW))
    b = generate(Plan.ending_yesterday(1500, 3, NOW))
    c = generate(Plan.ending_yesterday(1500, 4, NOW))
    for name in ("users", "products", "customers", "interactions", "feedback"):
        assert_frame_equal(getattr(a, name), getattr(b, name))
    assert not a.feedback["comment"].equals(c.feedback["comment"])
    # The time of day of `now` does not matter, only the day it falls on.
    later = generate(Plan.ending_yesterday(1500, 3, NOW + timedelta(hours=5)))
    assert_frame_equal(a.feedback, later.feedback)


# --- the planted patterns --------------------------------------------------------------------------


def test_high_season(frames: DemoFrames) -> None:
    sig = signatures.high_season(frames)
    assert 1.6 <= sig["volume_ratio"] <= 2.1
    assert sig["first_response_ratio"] >= 1.8
    assert sig["resolution_ratio"] >= 1.3
    assert sig["csat_drop"] >= 0.2


def test_launch_then_defect_spike(frames: DemoFrames) -> None:
    launch = frames.products.filter(pl.col("sku") == company.LAUNCH_SKU)
    assert launch["launched_on"].item() == frames.plan.launch_date
    sig = signatures.launch_defect(frames)
    assert sig["window_complaints"] >= 15
    assert sig["complaint_rate_ratio"] >= 4
    assert sig["defect_share"] >= 0.6
    assert sig["nps_gap"] >= 40


def test_friction_touchpoint(frames: DemoFrames) -> None:
    sig = signatures.friction(frames)
    assert sig["ces_gap"] >= 1.0
    assert sig["csat_gap"] >= 0.3
    assert sig["lowest_nps_is_checkout"] == 1.0
    assert sig["checkout_topic_share"] >= 0.6


def test_score_coaching(frames: DemoFrames) -> None:
    sig = signatures.score_coaching(frames)
    assert sig["highest_nps"] == 1.0
    assert sig["highest_csat"] == 1.0
    assert sig["tens_share"] >= 0.65
    assert sig["negative_comment_share"] >= 0.5
    assert sig["negative_comment_share"] > sig["others_negative_comment_share"] + 0.15


def test_texture(frames: DemoFrames) -> None:
    sig = signatures.texture(frames)
    assert sig["monday_sunday_ratio"] >= 1.6
    assert sig["premium_vs_ocasional_nps"] >= 10
    assert sig["nps_trend"] >= 5
    assert sig["agent_csat_spread"] >= 0.5
    assert sig["channels"] == 5
    assert 0.5 <= sig["comment_share"] <= 0.62
    assert 0.11 <= sig["english_share"] <= 0.19


def test_intraday_rhythm(frames: DemoFrames) -> None:
    local = frames.interactions.select(
        "channel", hour=pl.col("opened_at").dt.convert_time_zone(frames.plan.timezone).dt.hour()
    )
    by_hour = local.group_by("hour").len()
    counts = dict(zip(by_hour["hour"], by_hour["len"], strict=True))
    assert counts.get(12, 0) > 5 * counts.get(4, 0)
    stores = local.filter(pl.col("channel") == "store")["hour"]
    assert stores.min() == 10
    assert stores.max() == 20


def test_comments_do_not_depend_on_parallelism(monkeypatch: pytest.MonkeyPatch) -> None:
    plan = Plan.ending_yesterday(1000, 5, NOW)
    n = 1200
    rng = np.random.default_rng(0)
    args = (
        rng.integers(0, 12, n),
        rng.integers(0, 3, n).astype(np.int8),
        rng.random(n) < 0.15,
        [None] * n,
        ["Ana"] * n,
    )
    monkeypatch.setattr(generator, "_COMMENT_CHUNK", 100)  # 12 chunks: composed by a process pool
    parallel = generator._comments(plan, *args, None)
    monkeypatch.setattr(generator.os, "cpu_count", lambda: 1)
    serial = generator._comments(plan, *args, None)
    assert parallel == serial
    assert len(set(serial)) > n * 0.9
