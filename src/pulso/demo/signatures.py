"""The measured signatures of the demo's planted patterns, computed on the generated frames with polars.

Tests hold each number to its threshold (see the table in :mod:`pulso.demo.generator`); ``pulso demo``
does not need them, but they tell a reader what to look for in the application.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from pulso.demo import company
from pulso.demo.generator import DemoFrames


def nps(column: str = "nps") -> pl.Expr:
    """Net Promoter Score of a 0–10 column, in points (−100 to 100); floats, so nothing wraps around."""
    score = pl.col(column).drop_nulls()
    promoters = (score >= 9).cast(pl.Float64).sum()
    detractors = (score <= 6).cast(pl.Float64).sum()
    return (100.0 * (promoters - detractors) / score.len().cast(pl.Float64)).alias(f"{column}_nps")


def _num(value: Any) -> float:
    """A polars scalar as a float (None, from an empty selection, as 0)."""
    return float(value or 0.0)


def _duration_s(start: str, stop: str) -> pl.Expr:
    return (pl.col(stop) - pl.col(start)).dt.total_seconds(fractional=True)


def high_season(frames: DemoFrames) -> dict[str, float]:
    high = pl.Series(frames.plan.calendar.high)
    days = pl.DataFrame({"_day": pl.int_range(0, len(high), eager=True, dtype=pl.Int32), "high": high})
    contacts = frames.interactions.join(days, on="_day")
    per_day = contacts.group_by("high").agg(
        per_day=pl.len() / pl.col("_day").n_unique(),
        first_response=_duration_s("opened_at", "first_response_at").median(),
        resolution=_duration_s("opened_at", "resolved_at").median(),
    )
    voice = frames.feedback.join(days, on="_day").group_by("high").agg(csat=pl.col("csat").mean())
    row = {r["high"]: r for r in per_day.join(voice, on="high").to_dicts()}
    return {
        "volume_ratio": row[True]["per_day"] / row[False]["per_day"],
        "first_response_ratio": row[True]["first_response"] / row[False]["first_response"],
        "resolution_ratio": row[True]["resolution"] / row[False]["resolution"],
        "csat_drop": row[False]["csat"] - row[True]["csat"],
    }


def launch_defect(frames: DemoFrames) -> dict[str, float]:
    plan = frames.plan
    w0, w1 = plan.defect_window
    fb = frames.feedback
    launch = pl.col("product") == company.LAUNCH_SKU
    in_window = pl.col("_day").is_between(w0, w1, closed="left")
    complaints = fb.filter(launch & (pl.col("source") == "complaint") & (pl.col("_day") >= plan.launch_day))
    window_complaints = complaints.filter(in_window).height
    other_complaints = complaints.height - window_complaints
    window_days, other_days = w1 - w0, plan.days - plan.launch_day - (w1 - w0)
    negative = fb.filter(launch & in_window & pl.col("comment").is_not_null() & (pl.col("_polarity") == "negative"))
    # The coached team's 10s hide the drop in its own surveys; the other answers show it.
    honest = pl.col("team").is_null() | (pl.col("team") != company.COACHING_TEAM)
    scores = fb.filter(in_window & honest & pl.col("product").is_not_null() & pl.col("nps").is_not_null())
    by_product = scores.group_by(launch.alias("launch")).agg(nps(), n=pl.len())
    row = {r["launch"]: r for r in by_product.to_dicts()}
    return {
        "window_complaints": float(window_complaints),
        "complaint_rate_ratio": (window_complaints / window_days) / max(other_complaints / other_days, 1e-9),
        "defect_share": _num((negative["_topic"] == "product_defect").mean()),
        "nps_gap": row[False]["nps_nps"] - row[True]["nps_nps"],
        "launch_nps_n": float(row[True]["n"]),
    }


def friction(frames: DemoFrames) -> dict[str, float]:
    fb = frames.feedback.filter(pl.col("touchpoint").is_not_null())
    by_tp = fb.group_by("touchpoint").agg(
        nps(), ces=pl.col("ces").mean(), csat=pl.col("csat").mean(), n=pl.col("nps").count()
    )
    checkout = pl.col("touchpoint") == company.FRICTION_TOUCHPOINT
    split = fb.group_by(checkout.alias("checkout")).agg(ces=pl.col("ces").mean(), csat=pl.col("csat").mean())
    row = {r["checkout"]: r for r in split.to_dicts()}
    ranked = by_tp.filter(pl.col("n") >= 30).sort("nps_nps")
    comments = fb.filter(checkout & pl.col("comment").is_not_null())
    return {
        "ces_gap": row[True]["ces"] - row[False]["ces"],  # effort: higher at checkout
        "csat_gap": row[False]["csat"] - row[True]["csat"],
        "lowest_nps_is_checkout": float(ranked["touchpoint"][0] == company.FRICTION_TOUCHPOINT),
        "checkout_topic_share": _num((comments["_topic"] == "checkout_payment").mean()),
    }


def score_coaching(frames: DemoFrames) -> dict[str, float]:
    fb = frames.feedback.filter(pl.col("team").is_in(list(company.SERVICE_TEAMS)))
    by_team = (
        fb.group_by("team")
        .agg(
            nps(),
            csat=pl.col("csat").mean(),
            tens=(pl.col("nps") == 10).sum() / pl.col("nps").count(),
            negative=(pl.col("_polarity") == "negative").filter(pl.col("comment").is_not_null()).mean(),
        )
        .sort("nps_nps", descending=True)
    )
    coached = by_team.filter(pl.col("team") == company.COACHING_TEAM).row(0, named=True)
    others = by_team.filter(pl.col("team") != company.COACHING_TEAM)
    return {
        "highest_nps": float(by_team["team"][0] == company.COACHING_TEAM),
        "highest_csat": float(coached["csat"] >= _num(others["csat"].max())),
        "nps": coached["nps_nps"],
        "tens_share": coached["tens"],
        "negative_comment_share": coached["negative"],
        "others_negative_comment_share": _num(others["negative"].max()),
    }


def texture(frames: DemoFrames) -> dict[str, float]:
    plan = frames.plan
    weekday = pl.Series(plan.calendar.weekday.astype("int32"))
    high = pl.Series(plan.calendar.high)
    days = pl.DataFrame({"_day": pl.int_range(0, len(weekday), eager=True, dtype=pl.Int32), "dow": weekday,
                         "high": high})  # fmt: skip
    per_dow = (
        frames.interactions.join(days, on="_day")
        .filter(~pl.col("high"))
        .group_by("dow")
        .agg(per_day=pl.len() / pl.col("_day").n_unique())
    )
    dow = {r["dow"]: r["per_day"] for r in per_dow.to_dicts()}
    fb = frames.feedback.join(days, on="_day")
    segments = (
        fb.join(frames.customers.select(customer="external_id", segment="segment"), on="customer")
        .group_by("segment")
        .agg(nps())
    )
    seg = {r["segment"]: r["nps_nps"] for r in segments.to_dicts()}
    w0, w1 = plan.defect_window
    calm = fb.filter(~pl.col("high") & ~pl.col("_day").is_between(w0, w1 + 28) & (pl.col("team").is_null()
                     | (pl.col("team") != company.COACHING_TEAM)))  # fmt: skip
    quarter = plan.days // 4
    first = calm.filter(pl.col("_day") < quarter).select(nps()).item()
    last = calm.filter(pl.col("_day") >= plan.days - quarter).select(nps()).item()
    agents = (
        frames.feedback.filter(pl.col("agent").is_not_null() & (pl.col("team") != company.COACHING_TEAM))
        .group_by("agent")
        .agg(csat=pl.col("csat").mean(), n=pl.col("csat").count())
        .filter(pl.col("n") >= 20)
    )
    channels = frames.interactions.group_by("channel").len()
    return {
        "monday_sunday_ratio": dow[0] / dow[6],
        "premium_vs_ocasional_nps": seg["Premium"] - seg["Ocasional"],
        "nps_trend": last - first,
        "agent_csat_spread": _num(agents["csat"].max()) - _num(agents["csat"].min()),
        "channels": float(channels.height),
        "comment_share": _num(frames.feedback["comment"].is_not_null().mean()),
        "english_share": _num((frames.feedback["language"] == "en").mean()),
    }


def all_signatures(frames: DemoFrames) -> dict[str, dict[str, float]]:
    return {
        "high_season": high_season(frames),
        "launch_defect": launch_defect(frames),
        "friction": friction(frames),
        "score_coaching": score_coaching(frames),
        "texture": texture(frames),
    }
