"""A year of Casa Nova's customers, contacts and feedback, drawn with numpy and returned as polars frames.

Everything is a pure function of (size, seed, the last day, the time zone): the same plan gives the
same frames, row for row. Each entity has its own random stream, so a change in how interactions are
drawn does not reshuffle the customers. Frames hold the canonical import columns first; columns whose
name starts with ``_`` are the generator's own (indexes and the ground truth the tests measure) and
are dropped by :func:`canonical` before an import.

The patterns a CX manager should find, and the signature each one leaves in the frames (measured by
``tests/demo/test_generator.py``):

=====================  ============================================================  ===========================
pattern                what was planted                                              signature
=====================  ============================================================  ===========================
1. High season         Buen Fin to Reyes (14 Nov – 6 Jan): contact volume ×1.9       contacts/day ≥ 1.6× the
                       (×2.4 on Buen Fin, ×1 on 24, 25, 31 Dec and 1 Jan), first     rest of the year; median
                       response ×2.3, handling ×1.6, more repeat contacts,           first response ≥ 1.8×,
                       satisfaction −0.3                                              median resolution ≥ 1.3×;
                                                                                      CSAT ≥ 0.2 lower
2. Launch and defect   "Licuadora Turbo X2" launched 120 days before the end;        complaints/day about it in
                       3–6 weeks later a defect batch: warranty contacts and         the window ≥ 4× the rest of
                       complaints about it spike, its satisfaction drops −1.8        its life; ≥ 60 % of its
                                                                                      negative comments there are
                                                                                      product_defect; its NPS
                                                                                      (outside the coached team)
                                                                                      ≥ 40 points below the rest
3. Friction            TP-WEB-CHECKOUT: satisfaction −0.55 and effort +1.4 CES        CES ≥ 1 point above and CSAT ≥
   touchpoint          points; its comments are about checkout_payment               0.3 below the other
                                                                                      touchpoints (CES is effort:
                                                                                      higher is harder), lowest NPS;
                                                                                      ≥ 60 % of its comments are
                                                                                      checkout_payment
4. Score coaching      "Soporte postventa": true satisfaction −0.9, but 80 % of its   highest NPS and CSAT of the
                       post-contact surveys report the top score                     service teams, ≥ 65 % of
                                                                                      NPS answers are 10, yet
                                                                                      ≥ 50 % of its comments are
                                                                                      negative
5. Texture             weekday factors (Mon 1.18 … Sun 0.6), intra-day profiles per   Mon/Sun contacts ≥ 1.6;
                       channel, per-agent skill (sd 0.3) and speed, channel mix,     Premium NPS ≥ 10 points
                       segment effects (Premium +0.45 … Empresa −0.15), an upward    above Ocasional; last
                       trend of +0.25 over the year, ~55 % commented, ~15 % English   quarter NPS above the first
=====================  ============================================================  ===========================

Scores and comment polarity agree (detractors and CSAT 1–2 write negative comments, passives neutral
or mixed ones, promoters positive ones) everywhere except in the coaching team, whose comments follow
the score the customer would have given.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from pulso.accounts.enums import Role
from pulso.demo import company
from pulso.demo.comments import compose_comments
from pulso.interactions.enums import Channel, InteractionStatus

CUSTOMER_COLUMNS = ("external_id", "name", "email", "segment", "region", "is_key_account")
INTERACTION_COLUMNS = (
    "external_id",
    "source",
    "channel",
    "customer",
    "agent",
    "team",
    "touchpoint",
    "product",
    "category",
    "status",
    "opened_at",
    "first_response_at",
    "resolved_at",
    "contacts_to_resolve",
)
FEEDBACK_COLUMNS = (
    "external_id",
    "source",
    "received_at",
    "customer",
    "interaction",
    "interaction_source",
    "touchpoint",
    "agent",
    "team",
    "product",
    "channel",
    "language",
    "nps",
    "csat",
    "ces",
    "rating",
    "comment",
)

MAX_SIZE = 10_000_000
Progress = Callable[[str, int, int], None]
"""Called as progress(step, done, total) while the generator works; steps: generate, comments."""

# Independent random streams, one per entity.
_STREAM_PEOPLE, _STREAM_PRODUCTS, _STREAM_CUSTOMERS, _STREAM_INTERACTIONS, _STREAM_FEEDBACK = 1, 2, 3, 4, 5
_STREAM_COMMENTS = 6
_COMMENT_CHUNK = 50_000
_US = 1_000_000

# --------------------------------------------------------------------------------------------------
# The plan: the calendar of the year and the sizes
# --------------------------------------------------------------------------------------------------

HIGH_SEASON = ((11, 14), (1, 6))  # from (month, day) to (month, day), inclusive
BUEN_FIN_DAYS = 4
DEFECT_WINDOW = (21, 42)  # days after the launch: the defect batch reaches customers


@dataclass(frozen=True)
class Plan:
    """What to generate: the feedback volume, the seed, and the year that ends on `end` (local)."""

    size: int
    seed: int
    end: date
    timezone: str = company.ORG_TIMEZONE

    @classmethod
    def ending_yesterday(cls, size: int, seed: int, now: datetime, timezone: str = company.ORG_TIMEZONE) -> Plan:
        """Twelve months that end yesterday in `timezone`, as seen at `now`."""
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        today = now.astimezone(ZoneInfo(timezone)).date()
        return cls(size=size, seed=seed, end=today - timedelta(days=1), timezone=timezone)

    def __post_init__(self) -> None:
        if not 100 <= self.size <= MAX_SIZE:
            raise ValueError(f"size must be between 100 and {MAX_SIZE:,} feedback rows")

    @property
    def days(self) -> int:
        return 365

    @property
    def start(self) -> date:
        return self.end - timedelta(days=self.days - 1)

    @property
    def n_interactions(self) -> int:
        return round(self.size * 1.2)

    @property
    def n_customers(self) -> int:
        return int(min(max(self.size // 5, 100), 400_000))

    @property
    def launch_day(self) -> int:
        """Index of the new product's launch day."""
        return self.days - 1 - company.LAUNCH_DAYS_BEFORE_END

    @property
    def launch_date(self) -> date:
        return self.start + timedelta(days=self.launch_day)

    @property
    def defect_window(self) -> tuple[int, int]:
        """Day indexes [from, to) when the defective batch shows up."""
        return self.launch_day + DEFECT_WINDOW[0], self.launch_day + DEFECT_WINDOW[1]

    def rng(self, stream: int, *extra: int) -> np.random.Generator:
        return np.random.default_rng(np.random.SeedSequence([self.seed, stream, *extra]))

    @cached_property
    def calendar(self) -> Calendar:
        return Calendar.build(self)


@dataclass(frozen=True)
class Calendar:
    """Per day of the plan: weekday, high season, trend, and local midnight as UTC microseconds."""

    dates: list[date]
    weekday: np.ndarray  # 0 = Monday
    high: np.ndarray  # bool
    buen_fin: np.ndarray  # bool
    holiday: np.ndarray  # bool: 24, 25 and 31 December, 1 January
    trend: np.ndarray  # 0 on the first day, 1 on the last
    midnight_us: np.ndarray  # int64
    end_us: int  # the instant the data stops: midnight after the last day

    @classmethod
    def build(cls, plan: Plan) -> Calendar:
        zone = ZoneInfo(plan.timezone)
        dates = [plan.start + timedelta(days=i) for i in range(plan.days)]
        weekday = np.array([d.weekday() for d in dates], dtype=np.int8)
        (m0, d0), (m1, d1) = HIGH_SEASON
        high = np.array([(d.month, d.day) >= (m0, d0) or (d.month, d.day) <= (m1, d1) for d in dates])
        buen_fin = np.array([d.month == m0 and d0 <= d.day < d0 + BUEN_FIN_DAYS for d in dates])
        holiday = np.array([(d.month, d.day) in {(12, 24), (12, 25), (12, 31), (1, 1)} for d in dates])
        midnights = [datetime.combine(d, time(0), tzinfo=zone) for d in [*dates, plan.end + timedelta(days=1)]]
        micros = np.array([int(m.timestamp()) * _US for m in midnights], dtype=np.int64)
        return cls(
            dates=dates,
            weekday=weekday,
            high=high,
            buen_fin=buen_fin,
            holiday=holiday,
            trend=np.linspace(0.0, 1.0, plan.days),
            midnight_us=micros[:-1],
            end_us=int(micros[-1]),
        )


# --------------------------------------------------------------------------------------------------
# Effects on the latent satisfaction (in standard deviations) and on volumes and times
# --------------------------------------------------------------------------------------------------

SEGMENT_EFFECT = {"Premium": 0.45, "Frecuente": 0.2, "Ocasional": -0.05, "Empresa/Pyme": -0.15}
SEGMENT_ACTIVITY = {"Premium": 2.0, "Frecuente": 1.8, "Ocasional": 0.6, "Empresa/Pyme": 1.5}
KEY_ACCOUNT_EFFECT = 0.1
ENGLISH_SHARE = 0.15

TEAM_EFFECT = {
    company.PHONE_TEAM: 0.0,
    company.CHAT_TEAM: 0.1,
    company.AFTERSALES_TEAM: -0.9,  # the truth behind the coached scores
    company.STORES_TEAM: 0.15,
}
COACHED_SHARE = 0.8
AGENT_SKILL_SD = 0.3
AGENT_SPEED_SD = 0.3

TOUCHPOINT_EFFECT = {
    company.FRICTION_TOUCHPOINT: -0.55,
    "TP-APP-CHECKOUT": 0.1,
    "TP-CREDIT": -0.2,
    "TP-DELIVERY-HOME": -0.1,
    "TP-DELIVERY-TRACKING": -0.1,
    "TP-STORE-PICKUP": 0.3,
    "TP-INSTALL": 0.2,
    "TP-LOYALTY": 0.3,
    "TP-INVOICE": -0.15,
    "TP-WARRANTY": -0.25,
    "TP-RETURNS": -0.2,
}
FRICTION_CES = 1.4

SEASON_EFFECT = -0.3
TREND_EFFECT = 0.25  # over the whole year, from −0.125 to +0.125
DEFECT_EFFECT = -1.8
DEFECT_AFTERMATH = (-0.4, 28)  # effect and days after the window
SLOW_EFFECT = -0.15  # per unit of log first-response slowness
REPEAT_EFFECT = -0.25  # per contact beyond the first

WEEKDAY_CONTACTS = np.array([1.18, 1.1, 1.05, 1.0, 0.97, 0.78, 0.6])
WEEKDAY_SALES = np.array([0.95, 0.92, 0.95, 1.0, 1.05, 1.15, 1.1])
WEEKDAY_RELATIONAL = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.4])
SEASON_VOLUME, BUEN_FIN_VOLUME, HOLIDAY_VOLUME = 1.9, 2.4, 1.0
VOLUME_GROWTH = 0.1
SEASON_FIRST_RESPONSE, SEASON_HANDLING = 2.3, 1.6

# Channels of contact: weekday and weekend mix.
CONTACT_CHANNELS = (Channel.PHONE, Channel.CHAT, Channel.WHATSAPP, Channel.EMAIL, Channel.STORE)
CHANNEL_MIX = np.array([[0.36, 0.18, 0.21, 0.11, 0.14], [0.26, 0.19, 0.24, 0.09, 0.22]])
CHANNEL_EFFECT = np.array([0.0, 0.1, 0.15, -0.2, 0.2])
CHANNEL_TEAM = (company.PHONE_TEAM, company.CHAT_TEAM, company.CHAT_TEAM, company.AFTERSALES_TEAM,
                company.STORES_TEAM)  # fmt: skip
CHANNEL_TOUCHPOINT = ("TP-PHONE-SUPPORT", "TP-CHAT-SUPPORT", "TP-WHATSAPP", "TP-EMAIL-SUPPORT", "TP-STORE-VISIT")
CHANNEL_SOURCE = ("cc-telefonia", "zendesk", "zendesk", "zendesk", "pos-tiendas")
FIRST_RESPONSE_S = np.array([60.0, 45.0, 360.0, 4 * 3600.0, 240.0])
HANDLING_S = np.array([8 * 60.0, 12 * 60.0, 40 * 60.0, 10 * 3600.0, 15 * 60.0])


@dataclass(frozen=True)
class Category:
    name: str
    topics: Mapping[str, float]  # what a comment about such a contact is about
    touchpoint: str | None  # None: the channel's own touchpoint
    product_share: float
    first_contact: float  # share resolved in one contact
    handling: float  # multiplier of the channel's handling time
    effect: float = 0.0


CATEGORIES: tuple[Category, ...] = (
    Category("Estado del pedido", {"delivery_delay": 1.0}, "TP-DELIVERY-TRACKING", 0.6, 0.8, 1.0),
    Category("Entrega", {"delivery_delay": 0.8, "product_defect": 0.2}, "TP-DELIVERY-HOME", 0.8, 0.7, 3.0, -0.1),
    Category("Pago y checkout", {"checkout_payment": 1.0}, company.FRICTION_TOUCHPOINT, 0.5, 0.72, 1.5),
    Category("Facturación", {"billing": 1.0}, "TP-INVOICE", 0.3, 0.75, 2.0),
    Category("Garantía y reparación", {"product_defect": 0.7, "resolution": 0.3}, "TP-WARRANTY", 1.0, 0.5, 20.0,
             -0.2),
    Category("Devolución", {"returns_refunds": 1.0}, "TP-RETURNS", 1.0, 0.65, 8.0, -0.1),
    Category("Uso del producto", {"product_quality": 0.6, "product_defect": 0.4}, None, 1.0, 0.8, 1.0),
    Category("Disponibilidad y precios", {"stock_availability": 0.6, "price": 0.4}, None, 0.7, 0.9, 0.6),
    Category("App y sitio web", {"app_website": 1.0}, None, 0.0, 0.8, 1.0),
)  # fmt: skip
WARRANTY = 4
# Reasons for contact by channel (rows follow CONTACT_CHANNELS, columns CATEGORIES).
CATEGORY_MIX = np.array(
    [
        [0.18, 0.12, 0.08, 0.05, 0.14, 0.08, 0.17, 0.10, 0.08],
        [0.22, 0.12, 0.12, 0.04, 0.08, 0.07, 0.13, 0.10, 0.12],
        [0.25, 0.15, 0.08, 0.03, 0.09, 0.07, 0.13, 0.12, 0.08],
        [0.08, 0.08, 0.06, 0.30, 0.16, 0.14, 0.10, 0.04, 0.04],
        [0.04, 0.04, 0.06, 0.04, 0.16, 0.22, 0.16, 0.26, 0.02],
    ]
)
SEASON_ORDER_CONTACTS = 0.15  # extra share of "where is my order" contacts in high season
DEFECT_WARRANTY_CONTACTS = 0.10  # share of contacts in the defect window about the defective product

# Intra-day profiles (local hour 0–23), weekday then weekend.
_HOURS_DIGITAL = np.array(
    [
        [0.2, 0.1, 0.05, 0.05, 0.05, 0.2, 0.6, 1.5, 3.5, 5.5, 7, 7.5, 7.5, 6.5, 6, 6.5, 7, 7.5, 7, 6, 5, 4, 2.5, 1],
        [0.3, 0.2, 0.1, 0.05, 0.05, 0.1, 0.3, 0.8, 1.8, 3.5, 5.5, 6.5, 7, 7, 6.5, 6, 6, 6, 5.5, 5, 4.5, 3.5, 2, 0.8],
    ]
)  # fmt: skip
_OPEN_PHONE = np.array([0] * 7 + [1] * 15 + [0] * 2)  # 7:00–22:00
_OPEN_STORE = np.array([0] * 10 + [1] * 11 + [0] * 3)  # 10:00–21:00
HOUR_PROFILES = np.vstack([_HOURS_DIGITAL, _HOURS_DIGITAL * _OPEN_PHONE, _HOURS_DIGITAL * _OPEN_STORE])

# Feedback kinds and their shares of the volume.
KINDS = ("post_contact", "touchpoint", "relational", "review", "complaint", "social")
POST, TOUCH, RELATIONAL, REVIEW, COMPLAINT, SOCIAL = range(6)
KIND_SHARE = np.array([0.40, 0.22, 0.14, 0.12, 0.06, 0.06])
KIND_SOURCE = ("survey", "survey", "survey", "review", "complaint", "social")
LINKED_COMPLAINTS = 0.5
DEFECT_COMPLAINTS = 0.7  # share of unlinked complaints in the window about the defective product
SURVEYED_TOUCHPOINTS = {
    company.FRICTION_TOUCHPOINT: 0.16,
    "TP-APP-CHECKOUT": 0.10,
    "TP-STORE-CASHIER": 0.11,
    "TP-DELIVERY-HOME": 0.16,
    "TP-DELIVERY-TRACKING": 0.05,
    "TP-STORE-PICKUP": 0.06,
    "TP-INSTALL": 0.05,
    "TP-WEB-SEARCH": 0.05,
    "TP-APP-BROWSE": 0.04,
    "TP-STORE-VISIT": 0.06,
    "TP-PHONE-SALES": 0.03,
    "TP-CREDIT": 0.03,
    "TP-HELP-CENTER": 0.02,
    "TP-INVOICE": 0.02,
    "TP-LOYALTY": 0.02,
}
PURCHASE_TOUCHPOINTS = {
    company.FRICTION_TOUCHPOINT, "TP-APP-CHECKOUT", "TP-STORE-CASHIER", "TP-DELIVERY-HOME",
    "TP-DELIVERY-TRACKING", "TP-STORE-PICKUP", "TP-INSTALL", "TP-PHONE-SALES", "TP-CREDIT",
}  # fmt: skip
TOUCHPOINT_TOPICS: dict[str, dict[str, float]] = {
    "TP-WEB-SEARCH": {"app_website": 0.6, "stock_availability": 0.2, "price": 0.2},
    "TP-APP-BROWSE": {"app_website": 0.7, "price": 0.3},
    "TP-STORE-VISIT": {"agent_attitude": 0.4, "stock_availability": 0.3, "price": 0.3},
    company.FRICTION_TOUCHPOINT: {"checkout_payment": 0.92, "app_website": 0.08},
    "TP-APP-CHECKOUT": {"checkout_payment": 0.5, "app_website": 0.5},
    "TP-STORE-CASHIER": {"wait_time": 0.5, "agent_attitude": 0.3, "checkout_payment": 0.2},
    "TP-PHONE-SALES": {"agent_attitude": 0.5, "price": 0.5},
    "TP-CREDIT": {"checkout_payment": 0.5, "billing": 0.5},
    "TP-DELIVERY-HOME": {"delivery_delay": 0.8, "product_defect": 0.2},
    "TP-DELIVERY-TRACKING": {"delivery_delay": 0.7, "app_website": 0.3},
    "TP-STORE-PICKUP": {"wait_time": 0.5, "stock_availability": 0.3, "agent_attitude": 0.2},
    "TP-INSTALL": {"delivery_delay": 0.4, "product_quality": 0.3, "agent_attitude": 0.3},
    "TP-HELP-CENTER": {"app_website": 0.6, "resolution": 0.4},
    "TP-INVOICE": {"billing": 1.0},
    "TP-LOYALTY": {"price": 0.5, "app_website": 0.5},
}
# Topics that are not about the subject: how the service went, or the shop in general.
SERVICE_TOPICS = {
    "negative": {"wait_time": 0.35, "agent_attitude": 0.25, "resolution": 0.4},
    "neutral": {"wait_time": 0.3, "agent_attitude": 0.3, "resolution": 0.4},
    "positive": {"agent_attitude": 0.5, "resolution": 0.35, "wait_time": 0.15},
}
GENERAL_TOPICS = {
    "negative": {"price": 0.2, "product_quality": 0.25, "delivery_delay": 0.2, "stock_availability": 0.15,
                 "app_website": 0.1, "product_defect": 0.1},
    "neutral": {"price": 0.3, "product_quality": 0.3, "delivery_delay": 0.2, "stock_availability": 0.1,
                "app_website": 0.1},
    "positive": {"product_quality": 0.35, "price": 0.25, "delivery_delay": 0.2, "app_website": 0.1,
                 "stock_availability": 0.1},
}  # fmt: skip
KIND_TOPICS: dict[int, dict[str, float]] = {
    REVIEW: {"product_quality": 0.55, "product_defect": 0.15, "price": 0.15, "delivery_delay": 0.15},
    COMPLAINT: {"delivery_delay": 0.25, "product_defect": 0.2, "returns_refunds": 0.15, "billing": 0.12,
                "checkout_payment": 0.1, "wait_time": 0.1, "agent_attitude": 0.08},
    SOCIAL: {"delivery_delay": 0.2, "price": 0.15, "product_quality": 0.15, "agent_attitude": 0.15,
             "wait_time": 0.1, "app_website": 0.1, "stock_availability": 0.1, "product_defect": 0.05},
}  # fmt: skip
SUBJECT_SHARE = {"negative": 0.75, "neutral": 0.65, "positive": 0.5}
COMMENT_SHARE = np.array(  # by kind (rows) and polarity (negative, neutral, positive)
    [
        [0.62, 0.38, 0.42],
        [0.60, 0.35, 0.40],
        [0.65, 0.45, 0.50],
        [0.75, 0.75, 0.75],
        [1.0, 1.0, 1.0],
        [1.0, 1.0, 1.0],
    ]
)
POLARITIES = ("negative", "neutral", "positive")
NEG, NEU, POS = range(3)


# --------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------


def _draw(rng: np.random.Generator, groups: np.ndarray, table: np.ndarray) -> np.ndarray:
    """For each row, an index drawn from the probabilities of its group (one row of `table`)."""
    table = np.asarray(table, dtype=np.float64)
    n_groups, width = table.shape
    cdf = np.cumsum(table, axis=1)
    cdf /= np.where(cdf[:, -1:] > 0, cdf[:, -1:], 1.0)
    cdf[:, -1] = 1.0
    # One search in a small table: group g's cumulative probabilities are shifted to [g, g + 1].
    shifted = (cdf + np.arange(n_groups)[:, None]).ravel()
    u = rng.random(len(groups))
    position = np.searchsorted(shifted, groups + u, side="right")
    drawn: np.ndarray = np.minimum(position - groups * width, width - 1).astype(np.int32)
    return drawn


def _choice(rng: np.random.Generator, n: int, weights: np.ndarray) -> np.ndarray:
    """n indexes drawn with `weights`; for long weight vectors, by counts and a shuffle (cache-friendly)."""
    weights = np.asarray(weights, dtype=np.float64)
    if len(weights) <= 64:
        return _draw(rng, np.zeros(n, dtype=np.int32), weights[None, :])
    counts = rng.multinomial(n, weights / weights.sum())
    return rng.permutation(np.repeat(np.arange(len(weights), dtype=np.int32), counts))


def _daily_counts(rng: np.random.Generator, total: int, weights: np.ndarray) -> np.ndarray:
    """Row → day index, rows in day order, with some day-to-day noise."""
    noisy = weights * rng.lognormal(0.0, 0.08, len(weights))
    counts = rng.multinomial(total, noisy / noisy.sum())
    return np.repeat(np.arange(len(weights), dtype=np.int32), counts)


def _timestamps(rng: np.random.Generator, plan: Plan, day: np.ndarray, profile: np.ndarray) -> np.ndarray:
    """UTC microseconds of rows on `day`, at local hours drawn from HOUR_PROFILES[profile]."""
    cal = plan.calendar
    weekend = (cal.weekday[day] >= 5).astype(np.int32)
    hour = _draw(rng, profile * 2 + weekend, HOUR_PROFILES)
    seconds = hour * 3600 + rng.integers(0, 3600, len(day))
    micros: np.ndarray = cal.midnight_us[day] + seconds.astype(np.int64) * _US
    return micros


def _to_datetime(micros: np.ndarray) -> pl.Series:
    """UTC microseconds (−1 for none) as an aware datetime column."""
    series = pl.Series(micros).cast(pl.Int64)
    series = pl.select(pl.when(series >= 0).then(series)).to_series()
    return series.cast(pl.Datetime("us", "UTC"))


def _labels(values: Sequence[str | None], index: np.ndarray) -> pl.Series:
    """Strings picked by index (−1 gives null), built by polars without a Python loop."""
    lookup = pl.Series([*values, None], dtype=pl.String)
    return lookup.gather(np.where(index < 0, len(values), index))


def _ids(prefix: str, n: int, width: int) -> pl.Series:
    numbers = pl.int_range(1, n + 1, eager=True).cast(pl.String).str.zfill(width)
    return (prefix + numbers).rename("external_id")


def _ascii(text: str) -> str:
    return text.lower().translate(str.maketrans("áéíóúüñ", "aeiouun")).replace(" ", "")


def _mix(*parts: tuple[float, Mapping[str, float]]) -> dict[str, float]:
    out: dict[str, float] = {}
    for share, weights in parts:
        total = sum(weights.values())
        for key, w in weights.items():
            out[key] = out.get(key, 0.0) + share * w / total
    return out


def canonical(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame without the generator's own columns, ready for the import pipeline."""
    return frame.select([c for c in frame.columns if not c.startswith("_")])


# --------------------------------------------------------------------------------------------------
# Organisation: teams, people, journey, products
# --------------------------------------------------------------------------------------------------


def teams() -> pl.DataFrame:
    """Teams in creation order (a parent before its children)."""
    return pl.DataFrame(
        {
            "name": [t.name for t in company.TEAMS],
            "kind": [t.kind.value for t in company.TEAMS],
            "code": [t.code for t in company.TEAMS],
            "parent": [t.parent for t in company.TEAMS],
        }
    )


def users(plan: Plan) -> pl.DataFrame:
    """Staff and agents: e-mail, name, role, team, code; agents carry their skill, speed and load."""
    rng = plan.rng(_STREAM_PEOPLE)
    rows: list[dict[str, object]] = [
        {"email": p.email, "name": p.name, "role": p.role.value, "team": p.team, "code": p.code} for p in company.STAFF
    ]
    taken = {str(r["email"]) for r in rows}
    skills: list[float | None] = [None] * len(rows)
    speeds: list[float | None] = [None] * len(rows)
    loads: list[float | None] = [None] * len(rows)
    serial = 0
    for team in company.TEAMS:
        for _ in range(team.agents):
            serial += 1
            first = company.FIRST_NAMES[int(rng.integers(len(company.FIRST_NAMES)))]
            last1, last2 = rng.choice(len(company.LAST_NAMES), 2, replace=False)
            surname = company.LAST_NAMES[int(last1)]
            email = f"{_ascii(first)}.{_ascii(surname)}@{company.EMAIL_DOMAIN}"
            if email in taken:
                email = f"{_ascii(first)}.{_ascii(surname)}{serial}@{company.EMAIL_DOMAIN}"
            taken.add(email)
            rows.append(
                {
                    "email": email,
                    "name": f"{first} {surname} {company.LAST_NAMES[int(last2)]}",
                    "role": Role.AGENT.value,
                    "team": team.name,
                    "code": f"AG-{serial:03d}",
                }
            )
            skills.append(float(rng.normal(0.0, AGENT_SKILL_SD)))
            speeds.append(float(rng.lognormal(0.0, AGENT_SPEED_SD)))
            loads.append(float(rng.uniform(0.6, 1.4)))
    frame = pl.DataFrame(rows, schema={"email": pl.String, "name": pl.String, "role": pl.String,
                                       "team": pl.String, "code": pl.String})  # fmt: skip
    return frame.with_columns(
        _skill=pl.Series(skills, dtype=pl.Float64),
        _speed=pl.Series(speeds, dtype=pl.Float64),
        _load=pl.Series(loads, dtype=pl.Float64),
    )


def stages() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "position": list(range(1, len(company.STAGES) + 1)),
            "name": [s[0] for s in company.STAGES],
            "name_en": [s[1] for s in company.STAGES],
        }
    )


def touchpoints() -> pl.DataFrame:
    tps = company.TOUCHPOINTS
    return pl.DataFrame(
        {
            "code": [t.code for t in tps],
            "stage": [t.stage + 1 for t in tps],
            "name": [t.name for t in tps],
            "name_en": [t.name_en for t in tps],
            "channel": [t.channel.value for t in tps],
            "owner_team": [t.owner for t in tps],
            "layer": [t.layer.value for t in tps],
            "is_moment_of_truth": [t.moment_of_truth for t in tps],
        }
    )


def products(plan: Plan) -> pl.DataFrame:
    """The catalogue with each product's popularity and quality (the launch product last)."""
    rng = plan.rng(_STREAM_PRODUCTS)
    specs = company.products(plan.end)
    n = len(specs)
    popularity = rng.lognormal(0.0, 0.6, n)
    quality = rng.normal(0.0, 0.2, n)
    is_launch = np.array([s.sku == company.LAUNCH_SKU for s in specs])
    quality[is_launch] = 0.1
    # After the launch, the new blender (heavily promoted) is 8 % of what people buy and ask about.
    others = popularity[~is_launch].sum()
    popularity[is_launch] = others * 0.08 / 0.92
    return pl.DataFrame(
        {
            "sku": [s.sku for s in specs],
            "name": [s.name for s in specs],
            "category": [s.category for s in specs],
            "launched_on": [s.launched_on for s in specs],
            "_popularity": popularity,
            "_quality": quality,
        }
    )


# --------------------------------------------------------------------------------------------------
# Customers
# --------------------------------------------------------------------------------------------------


def customers(plan: Plan) -> pl.DataFrame:
    """Customers with segment, region and key-account flag; `_activity` weights how often they appear."""
    rng = plan.rng(_STREAM_CUSTOMERS)
    n = plan.n_customers
    seg_names = [s for s, _ in company.SEGMENTS]
    segment = _choice(rng, n, np.array([w for _, w in company.SEGMENTS]))
    region = _choice(rng, n, np.array([w for _, w in company.REGIONS]))
    key_share = np.array([0.06, 0.005, 0.002, 0.12])[segment]
    is_key = rng.random(n) < key_share
    first = rng.integers(0, len(company.FIRST_NAMES), n)
    last1 = rng.integers(0, len(company.LAST_NAMES), n)
    last2 = rng.integers(0, len(company.LAST_NAMES), n)
    english = rng.random(n) < ENGLISH_SHARE
    activity = rng.lognormal(0.0, 0.8, n) * np.array([SEGMENT_ACTIVITY[s] for s in seg_names])[segment]
    activity[is_key] *= 2.0
    domain = rng.integers(0, 3, n)

    first_s = _labels(company.FIRST_NAMES, first)
    last1_s = _labels(company.LAST_NAMES, last1)
    ext = _ids("C-", n, max(6, len(str(n))))
    frame = pl.DataFrame(
        {
            "external_id": ext,
            "first": first_s,
            "last1": last1_s,
            "last2": _labels(company.LAST_NAMES, last2),
            "domain": _labels(["example.com", "example.net", "example.org"], domain),
        }
    )
    accents = {"á": "a", "é": "e", "í": "i", "ó": "o", "ú": "u", "ü": "u", "ñ": "n", "Á": "a"}
    frame = frame.select(
        "external_id",
        name=pl.concat_str("first", "last1", "last2", separator=" "),
        email=pl.concat_str(
            pl.col("first").str.to_lowercase(),
            pl.lit("."),
            pl.col("last1").str.to_lowercase(),
            pl.col("external_id").str.slice(2),
            pl.lit("@"),
            "domain",
        ).str.replace_many(list(accents), list(accents.values())),
        segment=_labels(seg_names, segment),
        region=_labels([r for r, _ in company.REGIONS], region),
        is_key_account=pl.Series(is_key),
        _segment=pl.Series(segment.astype(np.int8)),
        _english=pl.Series(english),
        _activity=pl.Series(activity),
    )
    return frame


# --------------------------------------------------------------------------------------------------
# Interactions
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Org:
    """Index tables shared by interactions and feedback."""

    team_names: list[str]
    tp_codes: list[str]
    tp_channel: list[str]
    tp_owner: np.ndarray  # team index per touchpoint
    agent_codes: list[str]
    agent_first: list[str]
    agent_team: np.ndarray
    agent_skill: np.ndarray
    agent_speed: np.ndarray
    agent_load: np.ndarray
    product_skus: list[str]
    product_names: list[str]
    product_popularity: np.ndarray
    product_quality: np.ndarray
    launch_product: int
    tp_index: dict[str, int] = field(default_factory=dict)
    team_index: dict[str, int] = field(default_factory=dict)

    @classmethod
    def build(cls, people: pl.DataFrame, catalogue: pl.DataFrame) -> _Org:
        team_names = [t.name for t in company.TEAMS]
        team_index = {name: i for i, name in enumerate(team_names)}
        tps = company.TOUCHPOINTS
        agents = people.filter(pl.col("role") == Role.AGENT.value)
        skus = catalogue["sku"].to_list()
        return cls(
            team_names=team_names,
            tp_codes=[t.code for t in tps],
            tp_channel=[t.channel.value for t in tps],
            tp_owner=np.array([team_index[t.owner] for t in tps]),
            agent_codes=agents["code"].to_list(),
            agent_first=[name.split(" ")[0] for name in agents["name"].to_list()],
            agent_team=np.array([team_index[t] for t in agents["team"].to_list()]),
            agent_skill=agents["_skill"].to_numpy(),
            agent_speed=agents["_speed"].to_numpy(),
            agent_load=agents["_load"].to_numpy(),
            product_skus=skus,
            product_names=catalogue["name"].to_list(),
            product_popularity=catalogue["_popularity"].to_numpy(),
            product_quality=catalogue["_quality"].to_numpy(),
            launch_product=skus.index(company.LAUNCH_SKU),
            tp_index={t.code: i for i, t in enumerate(tps)},
            team_index=team_index,
        )

    def product_table(self) -> np.ndarray:
        """Product probabilities before (row 0) and after (row 1) the launch."""
        before = self.product_popularity.copy()
        before[self.launch_product] = 0.0
        return np.vstack([before, self.product_popularity])

    def draw_products(self, rng: np.random.Generator, day: np.ndarray, plan: Plan) -> np.ndarray:
        return _draw(rng, (day >= plan.launch_day).astype(np.int32), self.product_table())

    def draw_agents(self, rng: np.random.Generator, team: np.ndarray) -> np.ndarray:
        table = np.zeros((len(self.team_names), len(self.agent_codes)))
        for i, t in enumerate(self.agent_team):
            table[t, i] = self.agent_load[i]
        table[table.sum(axis=1) == 0, 0] = 1.0  # teams without agents never get rows
        return _draw(rng, team, table)


def interactions(plan: Plan, people: pl.DataFrame, catalogue: pl.DataFrame, clients: pl.DataFrame) -> pl.DataFrame:
    """Contacts and tickets of the year, in the order they were opened."""
    rng = plan.rng(_STREAM_INTERACTIONS)
    cal = plan.calendar
    org = _Org.build(people, catalogue)
    weights = WEEKDAY_CONTACTS[cal.weekday] * (1 + VOLUME_GROWTH * cal.trend)
    weights *= np.where(cal.high, SEASON_VOLUME, 1.0)
    weights = np.where(cal.buen_fin, WEEKDAY_CONTACTS[cal.weekday] * BUEN_FIN_VOLUME, weights)
    weights = np.where(cal.holiday, HOLIDAY_VOLUME, weights)
    day = _daily_counts(rng, plan.n_interactions, weights)
    n = len(day)
    high = cal.high[day]
    weekend = (cal.weekday[day] >= 5).astype(np.int32)

    channel = _draw(rng, weekend, CHANNEL_MIX)
    category = _draw(rng, channel, CATEGORY_MIX)
    order_rush = high & (rng.random(n) < SEASON_ORDER_CONTACTS)
    category[order_rush] = rng.integers(0, 2, int(order_rush.sum()))  # order status or delivery

    product = np.where(
        rng.random(n) < np.array([c.product_share for c in CATEGORIES])[category],
        org.draw_products(rng, day, plan),
        -1,
    )
    w0, w1 = plan.defect_window
    defect = (day >= w0) & (day < w1) & (rng.random(n) < DEFECT_WARRANTY_CONTACTS)
    category[defect] = WARRANTY
    product[defect] = org.launch_product

    channel_team = np.array([org.team_index[t] for t in CHANNEL_TEAM])
    team = channel_team[channel]
    aftersales = np.isin(category, [WARRANTY, WARRANTY + 1]) & (channel != CONTACT_CHANNELS.index(Channel.STORE))
    team[aftersales] = org.team_index[company.AFTERSALES_TEAM]
    agent = org.draw_agents(rng, team)

    category_tp = np.array([org.tp_index[c.touchpoint] if c.touchpoint else -1 for c in CATEGORIES])
    channel_tp = np.array([org.tp_index[code] for code in CHANNEL_TOUCHPOINT])
    touchpoint = np.where(category_tp[category] >= 0, category_tp[category], channel_tp[channel])

    activity = clients["_activity"].to_numpy()
    customer = _choice(rng, n, activity)

    profile = np.select([channel == 0, channel == 4], [1, 2], 0)
    opened = _timestamps(rng, plan, day, profile)

    speed = org.agent_speed[agent]
    fr_factor = rng.lognormal(0.0, 0.7, n) * np.where(high, SEASON_FIRST_RESPONSE, 1.0) * speed
    fr_factor *= np.where(weekend == 1, 1.15, 1.0)
    first_response = FIRST_RESPONSE_S[channel] * fr_factor
    p_single = np.array([c.first_contact for c in CATEGORIES])[category] - np.where(high, 0.1, 0.0)
    contacts = np.where(rng.random(n) < p_single, 1, 1 + np.minimum(rng.geometric(0.6, n), 5)).astype(np.int16)
    handling = HANDLING_S[channel] * np.array([c.handling for c in CATEGORIES])[category]
    handling *= rng.lognormal(0.0, 0.9, n) * np.where(high, SEASON_HANDLING, 1.0) * speed
    follow_ups = (contacts - 1) * rng.lognormal(np.log(1.2 * 86400), 0.6, n)
    first_at = opened + (first_response * _US).astype(np.int64)
    resolved_at = first_at + ((handling + follow_ups) * _US).astype(np.int64)

    end = cal.end_us
    answered = first_at < end
    resolved = resolved_at < end
    status = np.select(
        [~answered, ~resolved, resolved_at >= end - 3 * 86400 * _US],
        [0, 1, 2],
        3,
    )
    statuses = [InteractionStatus.OPEN, InteractionStatus.PENDING, InteractionStatus.RESOLVED,
                InteractionStatus.CLOSED]  # fmt: skip

    order = np.argsort(opened, kind="stable")
    opened, first_at, resolved_at = opened[order], first_at[order], resolved_at[order]
    answered, resolved, status = answered[order], resolved[order], status[order]
    day, channel, category, product, team, agent, touchpoint, customer, contacts, high = (
        a[order] for a in (day, channel, category, product, team, agent, touchpoint, customer, contacts, high)
    )
    slowness = np.log(fr_factor[order])
    customer_ids = clients["external_id"]
    return pl.DataFrame(
        {
            "external_id": _ids("TK-", n, max(8, len(str(n)))),
            "source": _labels(CHANNEL_SOURCE, channel),
            "channel": _labels([c.value for c in CONTACT_CHANNELS], channel),
            "customer": customer_ids.gather(customer),
            "agent": _labels(org.agent_codes, agent),
            "team": _labels(org.team_names, team),
            "touchpoint": _labels(org.tp_codes, touchpoint),
            "product": _labels(org.product_skus, product),
            "category": _labels([c.name for c in CATEGORIES], category),
            "status": _labels([s.value for s in statuses], status),
            "opened_at": _to_datetime(opened),
            "first_response_at": _to_datetime(np.where(answered, first_at, -1)),
            "resolved_at": _to_datetime(np.where(resolved, resolved_at, -1)),
            "contacts_to_resolve": pl.Series(np.where(resolved, contacts, 0)).replace(0, None).cast(pl.Int16),
            "_day": day,
            "_channel": channel.astype(np.int8),
            "_category": category.astype(np.int8),
            "_product": product.astype(np.int16),
            "_team": team.astype(np.int16),
            "_agent": agent.astype(np.int16),
            "_touchpoint": touchpoint.astype(np.int16),
            "_customer": customer.astype(np.int32),
            "_slowness": slowness,
            "_contacts": contacts,
            "_opened_us": opened,
            "_resolved_us": np.where(resolved, resolved_at, -1),
        }
    )


# --------------------------------------------------------------------------------------------------
# Feedback
# --------------------------------------------------------------------------------------------------


@dataclass
class _Rows:
    """Feedback rows under construction, one numpy array per field (−1 means none)."""

    kind: np.ndarray
    day: np.ndarray
    ts: np.ndarray
    customer: np.ndarray
    interaction: np.ndarray
    touchpoint: np.ndarray
    agent: np.ndarray
    team: np.ndarray
    product: np.ndarray
    channel: np.ndarray  # index into Channel members
    category: np.ndarray
    slowness: np.ndarray
    contacts: np.ndarray

    @classmethod
    def empty(cls, kind: int, n: int) -> _Rows:
        none = np.full(n, -1, dtype=np.int64)
        return cls(
            kind=np.full(n, kind, dtype=np.int8),
            day=np.zeros(n, dtype=np.int32),
            ts=np.zeros(n, dtype=np.int64),
            customer=none.copy(),
            interaction=none.copy(),
            touchpoint=none.copy(),
            agent=none.copy(),
            team=none.copy(),
            product=none.copy(),
            channel=none.copy(),
            category=none.copy(),
            slowness=np.zeros(n),
            contacts=np.zeros(n, dtype=np.int16),
        )

    @classmethod
    def concat(cls, parts: Sequence[_Rows]) -> _Rows:
        names = cls.__dataclass_fields__
        return cls(**{name: np.concatenate([getattr(p, name) for p in parts]) for name in names})

    def take(self, order: np.ndarray) -> _Rows:
        names = self.__dataclass_fields__
        return _Rows(**{name: getattr(self, name)[order] for name in names})


_CHANNELS = list(Channel)


def _channel_index(values: Sequence[str]) -> np.ndarray:
    return np.array([_CHANNELS.index(Channel(v)) for v in values])


def _kind_counts(size: int) -> np.ndarray:
    counts: np.ndarray = np.floor(KIND_SHARE * size).astype(np.int64)
    counts[POST] += size - counts.sum()
    return counts


def _from_interactions(rows: _Rows, contacts: pl.DataFrame, picked: np.ndarray, received: np.ndarray) -> None:
    rows.interaction[:] = picked
    rows.ts[:] = received
    for target, column in (
        ("customer", "_customer"),
        ("touchpoint", "_touchpoint"),
        ("agent", "_agent"),
        ("team", "_team"),
        ("product", "_product"),
        ("category", "_category"),
        ("slowness", "_slowness"),
        ("contacts", "_contacts"),
    ):
        getattr(rows, target)[:] = contacts[column].to_numpy()[picked]
    rows.channel[:] = _channel_index([c.value for c in CONTACT_CHANNELS])[contacts["_channel"].to_numpy()[picked]]


def _day_of(plan: Plan, micros: np.ndarray) -> np.ndarray:
    day = np.searchsorted(plan.calendar.midnight_us, micros, side="right") - 1
    return day.astype(np.int32)


def _feedback_rows(
    plan: Plan, rng: np.random.Generator, org: _Org, clients: pl.DataFrame, contacts: pl.DataFrame
) -> _Rows:
    cal = plan.calendar
    counts = _kind_counts(plan.size)
    activity = clients["_activity"].to_numpy()
    end = cal.end_us
    parts: list[_Rows] = []

    # Post-contact surveys, a few hours after the contact was resolved.
    resolved = contacts["_resolved_us"].to_numpy()
    delay = (rng.lognormal(np.log(2 * 3600), 1.0, len(resolved)) * _US).astype(np.int64)
    eligible = np.flatnonzero((resolved >= 0) & (resolved + delay < end))
    n = int(counts[POST])
    picked = np.sort(rng.choice(eligible, n, replace=n > len(eligible)))
    rows = _Rows.empty(POST, n)
    _from_interactions(rows, contacts, picked, resolved[picked] + delay[picked])
    parts.append(rows)

    sales = WEEKDAY_SALES[cal.weekday] * np.where(cal.high, SEASON_VOLUME, 1.0) * (1 + VOLUME_GROWTH * cal.trend)

    # Touchpoint surveys after a purchase, a delivery, a visit.
    n = int(counts[TOUCH])
    rows = _Rows.empty(TOUCH, n)
    rows.day[:] = _daily_counts(rng, n, sales)
    codes = list(SURVEYED_TOUCHPOINTS)
    tp = np.array([org.tp_index[c] for c in codes])[_choice(rng, n, np.array(list(SURVEYED_TOUCHPOINTS.values())))]
    rows.touchpoint[:] = tp
    rows.channel[:] = _channel_index(org.tp_channel)[tp]
    stores = org.team_index[company.STORES_TEAM]
    rows.team[:] = np.where(org.tp_owner[tp] == stores, stores, -1)
    purchase = np.isin(tp, [org.tp_index[c] for c in PURCHASE_TOUCHPOINTS])
    rows.product[:] = np.where(purchase & (rng.random(n) < 0.8), org.draw_products(rng, rows.day, plan), -1)
    rows.customer[:] = _choice(rng, n, activity)
    parts.append(rows)

    # Relational NPS, sent by e-mail on working days all year round.
    n = int(counts[RELATIONAL])
    rows = _Rows.empty(RELATIONAL, n)
    rows.day[:] = _daily_counts(rng, n, WEEKDAY_RELATIONAL[cal.weekday])
    rows.channel[:] = _CHANNELS.index(Channel.EMAIL)
    rows.customer[:] = _choice(rng, n, activity)
    parts.append(rows)

    # Product reviews on the web shop and the app.
    n = int(counts[REVIEW])
    rows = _Rows.empty(REVIEW, n)
    rows.day[:] = _daily_counts(rng, n, sales)
    rows.channel[:] = np.where(rng.random(n) < 0.6, _CHANNELS.index(Channel.WEB), _CHANNELS.index(Channel.APP))
    rows.product[:] = org.draw_products(rng, rows.day, plan)
    rows.customer[:] = np.where(rng.random(n) < 0.7, _choice(rng, n, activity), -1)
    parts.append(rows)

    # Complaints: half about a contact, half filed directly (e-mail, web form, store).
    n = int(counts[COMPLAINT])
    linked = int(n * LINKED_COMPLAINTS)
    opened = contacts["_opened_us"].to_numpy()
    lag = (rng.lognormal(np.log(86400), 0.8, len(opened)) * _US).astype(np.int64)
    eligible = np.flatnonzero(opened + lag < end)
    picked = np.sort(rng.choice(eligible, linked, replace=linked > len(eligible)))
    rows = _Rows.empty(COMPLAINT, linked)
    _from_interactions(rows, contacts, picked, opened[picked] + lag[picked])
    parts.append(rows)
    rows = _Rows.empty(COMPLAINT, n - linked)
    rows.day[:] = _daily_counts(rng, n - linked, sales)
    rows.channel[:] = np.array([_CHANNELS.index(c) for c in (Channel.EMAIL, Channel.WEB, Channel.STORE)])[
        _choice(rng, n - linked, np.array([0.5, 0.3, 0.2]))
    ]
    rows.product[:] = np.where(rng.random(n - linked) < 0.6, org.draw_products(rng, rows.day, plan), -1)
    w0, w1 = plan.defect_window
    defect = (rows.day >= w0) & (rows.day < w1) & (rng.random(n - linked) < DEFECT_COMPLAINTS)
    rows.product[defect] = org.launch_product
    rows.customer[:] = _choice(rng, n - linked, activity)
    parts.append(rows)

    # Social posts: a fourth can be matched to a customer.
    n = int(counts[SOCIAL])
    rows = _Rows.empty(SOCIAL, n)
    rows.day[:] = _daily_counts(rng, n, sales)
    rows.channel[:] = _CHANNELS.index(Channel.SOCIAL)
    rows.product[:] = np.where(rng.random(n) < 0.35, org.draw_products(rng, rows.day, plan), -1)
    rows.customer[:] = np.where(rng.random(n) < 0.25, _choice(rng, n, activity), -1)
    parts.append(rows)

    all_rows = _Rows.concat(parts)
    linked_mask = all_rows.interaction >= 0
    all_rows.day[linked_mask] = _day_of(plan, all_rows.ts[linked_mask])
    free = ~linked_mask
    all_rows.ts[free] = _timestamps(rng, plan, all_rows.day[free], np.zeros(int(free.sum()), dtype=np.int32))
    return all_rows


@dataclass(frozen=True)
class _Scores:
    nps: np.ndarray  # −1 when not asked
    csat: np.ndarray
    ces: np.ndarray
    rating: np.ndarray
    polarity: np.ndarray
    latent: np.ndarray


def _scores(plan: Plan, rng: np.random.Generator, org: _Org, clients: pl.DataFrame, rows: _Rows) -> _Scores:
    cal = plan.calendar
    n = len(rows.kind)
    has_customer = rows.customer >= 0
    cust = np.where(has_customer, rows.customer, 0)
    seg_effect = np.array([SEGMENT_EFFECT[s] for s, _ in company.SEGMENTS])[clients["_segment"].to_numpy()]
    seg_effect = seg_effect + KEY_ACCOUNT_EFFECT * clients["is_key_account"].to_numpy()
    s = np.where(has_customer, seg_effect[cust], 0.0)

    team_effect = np.array([TEAM_EFFECT.get(name, 0.0) for name in org.team_names])
    s += np.where(rows.team >= 0, team_effect[np.maximum(rows.team, 0)], 0.0)
    s += np.where(rows.agent >= 0, org.agent_skill[np.maximum(rows.agent, 0)], 0.0)
    tp_effect = np.array([TOUCHPOINT_EFFECT.get(code, 0.0) for code in org.tp_codes])
    s += np.where(rows.touchpoint >= 0, tp_effect[np.maximum(rows.touchpoint, 0)], 0.0)
    channel_effect = np.zeros(len(_CHANNELS))
    channel_effect[_channel_index([c.value for c in CONTACT_CHANNELS])] = CHANNEL_EFFECT
    s += np.where(rows.interaction >= 0, channel_effect[np.maximum(rows.channel, 0)], 0.0)
    s += np.where(rows.category >= 0, np.array([c.effect for c in CATEGORIES])[np.maximum(rows.category, 0)], 0.0)
    s += np.where(rows.product >= 0, org.product_quality[np.maximum(rows.product, 0)], 0.0)
    s += SLOW_EFFECT * np.clip(rows.slowness, -2.0, 3.0)
    s += REPEAT_EFFECT * np.maximum(rows.contacts - 1, 0)
    s += SEASON_EFFECT * cal.high[rows.day] * np.where(rows.kind == RELATIONAL, 0.5, 1.0)
    s += TREND_EFFECT * (cal.trend[rows.day] - 0.5)
    w0, w1 = plan.defect_window
    launch = rows.product == org.launch_product
    s += DEFECT_EFFECT * (launch & (rows.day >= w0) & (rows.day < w1))
    s += DEFECT_AFTERMATH[0] * (launch & (rows.day >= w1) & (rows.day < w1 + DEFECT_AFTERMATH[1]))
    s += rng.standard_normal(n)

    kind = rows.kind
    ask_nps = np.isin(kind, [TOUCH, RELATIONAL]) | ((kind == POST) & (rng.random(n) < 0.5))
    ask_csat = np.isin(kind, [POST, TOUCH])
    ask_ces = ((kind == POST) & (rng.random(n) < 0.7)) | ((kind == TOUCH) & (rng.random(n) < 0.8))
    friction = rows.touchpoint == org.tp_index[company.FRICTION_TOUCHPOINT]

    nps = np.clip(np.rint(7.9 + 2.2 * s + rng.normal(0, 0.6, n)), 0, 10)
    csat = np.clip(np.rint(4.0 + 0.95 * s + rng.normal(0, 0.35, n)), 1, 5)
    # CES is an effort scale, as Pulso reads it everywhere: 1 = very easy ... 7 = very hard (rules open a
    # case at CES >= 6). Effort falls as satisfaction rises and jumps at the friction touchpoint.
    ces = np.clip(np.rint(2.6 - 1.3 * s + FRICTION_CES * friction + rng.normal(0, 0.5, n)), 1, 7)
    rating = np.clip(np.rint(4.0 + 1.1 * s + rng.normal(0, 0.4, n)), 1, 5)

    # Polarity of what the customer writes follows the score they would give.
    by_nps = np.select([nps <= 6, nps <= 8], [NEG, NEU], POS)

    def by_five(x: np.ndarray) -> np.ndarray:
        return np.select([x <= 2, x == 3], [NEG, NEU], POS)

    by_latent = np.select([s < -0.6, s < 0.5], [NEG, NEU], POS)
    polarity = np.select(
        [ask_nps, ask_csat, kind == REVIEW, kind == COMPLAINT],
        [by_nps, by_five(csat), by_five(rating), np.where(rng.random(n) < 0.9, NEG, NEU)],
        by_latent,
    ).astype(np.int8)

    # Score coaching: the agents ask for a 10, most customers oblige, their words do not.
    coached = (kind == POST) & (rows.team == org.team_index[company.COACHING_TEAM]) & (rng.random(n) < COACHED_SHARE)
    nps[coached] = 10
    csat[coached] = 5
    ces[coached] = 1

    return _Scores(
        nps=np.where(ask_nps, nps, -1).astype(np.int8),
        csat=np.where(ask_csat, csat, -1).astype(np.int8),
        ces=np.where(ask_ces, ces, -1).astype(np.int8),
        rating=np.where(kind == REVIEW, rating, -1).astype(np.int8),
        polarity=polarity,
        latent=s,
    )


def _topic_table(org: _Org) -> tuple[list[str], np.ndarray, dict[str, int]]:
    """Topic probabilities per (context, polarity); contexts are categories, touchpoints and kinds."""
    from pulso.demo.comments import TOPICS

    contexts: dict[str, dict[str, dict[str, float]]] = {}
    for c in CATEGORIES:
        contexts[f"cat:{c.name}"] = {
            p: _mix((SUBJECT_SHARE[p], c.topics), (1 - SUBJECT_SHARE[p], SERVICE_TOPICS[p])) for p in POLARITIES
        }
    for code, topics in TOUCHPOINT_TOPICS.items():
        share = {p: min(0.95, SUBJECT_SHARE[p] + 0.15) for p in POLARITIES}
        contexts[f"tp:{code}"] = {p: _mix((share[p], topics), (1 - share[p], GENERAL_TOPICS[p])) for p in POLARITIES}
    contexts["tp:*"] = {p: GENERAL_TOPICS[p] for p in POLARITIES}
    contexts["kind:relational"] = {p: _mix((0.6, GENERAL_TOPICS[p]), (0.4, SERVICE_TOPICS[p])) for p in POLARITIES}
    for kind, topics in KIND_TOPICS.items():
        contexts[f"kind:{KINDS[kind]}"] = dict.fromkeys(POLARITIES, topics)
    names = list(contexts)
    table = np.zeros((len(names) * 3, len(TOPICS)))
    for i, name in enumerate(names):
        for j, p in enumerate(POLARITIES):
            for topic, w in contexts[name][p].items():
                table[i * 3 + j, TOPICS.index(topic)] = w
    return list(TOPICS), table, {name: i for i, name in enumerate(names)}


def _topics(plan: Plan, rng: np.random.Generator, org: _Org, rows: _Rows, polarity: np.ndarray) -> np.ndarray:
    topics, table, index = _topic_table(org)
    n = len(rows.kind)
    context = np.full(n, index["tp:*"], dtype=np.int32)
    for kind in (RELATIONAL, REVIEW, COMPLAINT, SOCIAL):
        context[rows.kind == kind] = index[f"kind:{KINDS[kind]}"]
    tp_context = np.array([index.get(f"tp:{code}", index["tp:*"]) for code in org.tp_codes])
    touch = rows.kind == TOUCH
    context[touch] = tp_context[rows.touchpoint[touch]]
    cat_context = np.array([index[f"cat:{c.name}"] for c in CATEGORIES])
    linked = rows.category >= 0
    context[linked] = cat_context[rows.category[linked]]
    topic = _draw(rng, context * 3 + polarity, table)

    w0, w1 = plan.defect_window
    in_window = (rows.product == org.launch_product) & (rows.day >= w0) & (rows.day < w1)
    u = rng.random(n)
    defect_share = np.where(polarity == POS, 0.3, 0.85)
    topic[in_window & (u < defect_share)] = topics.index("product_defect")
    rush = plan.calendar.high[rows.day] & (polarity == NEG) & ~in_window & (rng.random(n) < 0.3)
    topic[rush & (rows.interaction >= 0)] = topics.index("wait_time")
    topic[rush & (rows.interaction < 0)] = topics.index("delivery_delay")
    return topic


def _compose_chunk(
    args: tuple[int, int, list[str], list[str], list[str], list[str | None], list[str | None]],
) -> list[str]:
    seed, chunk, topics, polarities, languages, products_, agents = args
    rng = np.random.default_rng(np.random.SeedSequence([seed, _STREAM_COMMENTS, chunk]))
    return compose_comments(rng, topics, polarities, languages, products_, agents)


def _comments(
    plan: Plan,
    topic: np.ndarray,
    polarity: np.ndarray,
    english: np.ndarray,
    product_names: list[str | None],
    agent_names: list[str | None],
    progress: Progress | None,
) -> list[str]:
    """Compose the comments in fixed chunks, each from its own stream, in parallel when there are many."""
    from pulso.demo.comments import TOPICS

    n = len(topic)
    topic_l = np.array(TOPICS, dtype=object)[topic].tolist()
    pol_l = np.array(POLARITIES, dtype=object)[polarity].tolist()
    lang_l = np.where(english, "en", "es").tolist()
    jobs = [
        (plan.seed, i, topic_l[a:b], pol_l[a:b], lang_l[a:b], product_names[a:b], agent_names[a:b])
        for i, (a, b) in enumerate((a, min(n, a + _COMMENT_CHUNK)) for a in range(0, n, _COMMENT_CHUNK))
    ]
    out: list[str] = []
    workers = min(len(jobs), os.cpu_count() or 1)
    if workers > 1 and n > 8 * _COMMENT_CHUNK:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for texts in pool.map(_compose_chunk, jobs):
                out.extend(texts)
                if progress:
                    progress("comments", len(out), n)
    else:
        for job in jobs:
            out.extend(_compose_chunk(job))
            if progress:
                progress("comments", len(out), n)
    return out


def feedback(
    plan: Plan,
    people: pl.DataFrame,
    catalogue: pl.DataFrame,
    clients: pl.DataFrame,
    contacts: pl.DataFrame,
    progress: Progress | None = None,
) -> pl.DataFrame:
    """Surveys, reviews, complaints and social posts of the year, in the order they were received."""
    rng = plan.rng(_STREAM_FEEDBACK)
    org = _Org.build(people, catalogue)
    rows = _feedback_rows(plan, rng, org, clients, contacts)
    order = np.argsort(rows.ts, kind="stable")
    rows = rows.take(order)
    n = len(rows.kind)
    scores = _scores(plan, rng, org, clients, rows)
    topic = _topics(plan, rng, org, rows, scores.polarity)

    customer_english = clients["_english"].to_numpy()
    english = np.where(rows.customer >= 0, customer_english[np.maximum(rows.customer, 0)], False)
    english = np.where(rows.customer >= 0, english, rng.random(n) < ENGLISH_SHARE)
    share = COMMENT_SHARE[rows.kind, scores.polarity]
    commented = rng.random(n) < share

    picked = np.flatnonzero(commented)
    product_idx = rows.product[picked]
    agent_idx = rows.agent[picked]
    names = np.array([*org.product_names, None], dtype=object)
    firsts = np.array([*org.agent_first, None], dtype=object)
    texts = _comments(
        plan,
        topic[picked],
        scores.polarity[picked],
        english[picked],
        names[np.where(product_idx >= 0, product_idx, -1)].tolist(),
        firsts[np.where(agent_idx >= 0, agent_idx, -1)].tolist(),
        progress,
    )
    comment = pl.Series("comment", [None] * n, dtype=pl.String)
    if len(picked):
        comment = comment.scatter(picked, pl.Series(texts, dtype=pl.String))

    contact_ids = contacts["external_id"]
    customer_ids = clients["external_id"]
    channels = [c.value for c in _CHANNELS]

    def score(values: np.ndarray) -> pl.Series:
        return pl.Series(values).cast(pl.Int16).replace(-1, None)

    from pulso.demo.comments import TOPICS

    return pl.DataFrame(
        {
            "external_id": _ids("FB-", n, max(8, len(str(n)))),
            "source": _labels(KIND_SOURCE, rows.kind),
            "received_at": _to_datetime(rows.ts),
            "customer": _gather(customer_ids, rows.customer),
            "interaction": _gather(contact_ids, rows.interaction),
            "interaction_source": _gather(contacts["source"], rows.interaction),
            "touchpoint": _labels(org.tp_codes, rows.touchpoint),
            "agent": _labels(org.agent_codes, rows.agent),
            "team": _labels(org.team_names, rows.team),
            "product": _labels(org.product_skus, rows.product),
            "channel": _labels(channels, rows.channel),
            "language": pl.Series(np.where(english, "en", "es")),
            "nps": score(scores.nps),
            "csat": score(scores.csat),
            "ces": score(scores.ces),
            "rating": score(scores.rating),
            "comment": comment,
            "_kind": _labels(KINDS, rows.kind),
            "_topic": _labels(list(TOPICS), np.where(commented, topic, -1)),
            "_polarity": _labels(POLARITIES, scores.polarity),
            "_day": rows.day,
            "_latent": scores.latent,
        }
    )


def _gather(ids: pl.Series, index: np.ndarray) -> pl.Series:
    """ids[index] with −1 giving null."""
    extended = pl.concat([ids, pl.Series([None], dtype=ids.dtype)])
    return extended.gather(np.where(index < 0, len(ids), index))


# --------------------------------------------------------------------------------------------------
# Everything at once
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoFrames:
    plan: Plan
    teams: pl.DataFrame
    users: pl.DataFrame
    stages: pl.DataFrame
    touchpoints: pl.DataFrame
    products: pl.DataFrame
    customers: pl.DataFrame
    interactions: pl.DataFrame
    feedback: pl.DataFrame


def generate(plan: Plan, progress: Progress | None = None) -> DemoFrames:
    """Every frame of the demo for `plan`."""
    people = users(plan)
    catalogue = products(plan)
    clients = customers(plan)
    if progress:
        progress("generate", 1, 3)
    contacts = interactions(plan, people, catalogue, clients)
    if progress:
        progress("generate", 2, 3)
    voice = feedback(plan, people, catalogue, clients, contacts, progress)
    if progress:
        progress("generate", 3, 3)
    return DemoFrames(
        plan=plan,
        teams=teams(),
        users=people,
        stages=stages(),
        touchpoints=touchpoints(),
        products=catalogue,
        customers=clients,
        interactions=contacts,
        feedback=voice,
    )


__all__ = [
    "CUSTOMER_COLUMNS",
    "FEEDBACK_COLUMNS",
    "INTERACTION_COLUMNS",
    "DemoFrames",
    "Plan",
    "canonical",
    "customers",
    "feedback",
    "generate",
    "interactions",
    "products",
    "stages",
    "teams",
    "touchpoints",
    "users",
]
