"""The affiliate side: affiliates, their campaigns and their commission deals.

These tables are small (hundreds of rows), so plain Python over affiliates is fine here.
Every first version is stamped in the first hour of the period (the day the operator's
tracking platform was first exported), so every delivery falls inside the period; a few
records get a second version during the period.

Every deal shape the contract allows is present: the first affiliates take the shapes of
`DEAL_SHAPES` in turn, the others draw one. Affiliates differ in quality: a good one's
clicks register and deposit more often (`Partners.campaign_click_rate` and
`campaign_deposit_rate`, also by traffic source).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from ingestion.contract import entity
from ingestion.generator.arrays import (
    UNITS_PER_MAJOR,
    US_PER_DAY,
    US_PER_HOUR,
    Period,
    bools,
    choose,
    dates,
    ints,
    labels,
    money,
    numbered,
    table,
    timestamps,
)

BRANDS = ("aurora", "nova", "vega")
BRAND_WEIGHTS = (0.45, 0.35, 0.20)
TRAFFIC_SOURCES = ("seo", "ppc", "social", "email", "other")
TRAFFIC_WEIGHTS = (0.35, 0.20, 0.20, 0.15, 0.10)
# Click-to-registration and registration-to-deposit rates of an average affiliate, per
# traffic source: review sites (seo) and mailing lists convert; social traffic browses.
SOURCE_CLICK_RATE = np.array([0.12, 0.08, 0.03, 0.15, 0.05])
SOURCE_DEPOSIT_RATE = np.array([0.55, 0.50, 0.30, 0.60, 0.35])
ORGANIC_DEPOSIT_RATE = 0.50
PAYOUT_CURRENCIES = ("EUR", "USD", "GBP", "SEK", "NOK")
_PAYOUT_WEIGHTS = (0.50, 0.20, 0.15, 0.10, 0.05)
CPA_CURRENCIES = ("EUR", "USD", "GBP", "SEK")
_CURRENCY_SCALE = {"EUR": 1, "USD": 1, "GBP": 1, "SEK": 10, "NOK": 10}
AFFILIATE_COUNTRIES = ("MT", "CY", "GB", "DE", "FI", "IE", "CA", "SE")
AFFILIATE_STATUSES = ("active", "suspended", "closed")

_NAME_STEMS = ("Slot", "Casino", "Bet", "Spin", "Jackpot", "Lucky", "Reel", "Ace", "Nordic")
_NAME_TAILS = ("Guide", "Hub", "Insider", "Radar", "Media", "Review", "Club", "Portal")

# Tier tables: thresholds (EUR, or new depositing customers), rates in basis points.
_NGR_TIERS = ((0, 7_500, 50_000), (2_500, 3_000, 3_500))
_NGR_LADDER = ((0, 5_000, 20_000, 100_000), (2_000, 2_500, 3_000, 4_000))
_NDC_TIERS = ((0, 10, 25), (2_500, 3_000, 3_500))

# (plan type, tier basis, tier method, tiers); the first affiliates take these in turn.
DEAL_SHAPES = (
    ("revshare", "ngr", "tiered", None),  # one flat rate
    ("cpa", None, None, None),
    ("revshare", "ngr", "tiered", _NGR_TIERS),
    ("hybrid", "ngr", "tiered", None),
    ("revshare", "ngr", "ladder", _NGR_LADDER),
    ("revshare", "ndc", "tiered", _NDC_TIERS),
    ("cpa", None, None, None),
    ("hybrid", "ngr", "ladder", _NGR_LADDER),
    ("hybrid", "ndc", "tiered", _NDC_TIERS),
)
_SHAPE_WEIGHTS = (0.34, 0.16, 0.08, 0.12, 0.06, 0.05, 0.09, 0.05, 0.05)


@dataclass(frozen=True)
class Partners:
    affiliates: pa.Table
    campaigns: pa.Table
    deals: pa.Table
    campaign_brand: np.ndarray  # brand index per campaign
    campaign_weight: np.ndarray  # relative traffic per campaign
    campaign_source: np.ndarray  # traffic source index per campaign
    campaign_click_rate: np.ndarray  # share of the campaign's clicks that register
    campaign_deposit_rate: np.ndarray  # share of its registrations that deposit
    campaign_ids: pa.Array
    campaign_affiliate_ids: pa.Array
    campaign_owner: np.ndarray  # affiliate index per campaign
    currencies: frozenset[str]  # payout and CPA currencies in use


def affiliate_count(players: int) -> int:
    """Affiliates grow slower than players: big programmes have a long tail of small ones."""
    return max(8, round(players**0.5 / 2))


def _first_hour(rng: np.random.Generator, period: Period, size: int) -> np.ndarray:
    return period.start_us + rng.integers(0, US_PER_HOUR, size)


def _within_period(rng: np.random.Generator, period: Period, size: int) -> np.ndarray:
    """Times from the second day of the period to its end (second versions)."""
    return rng.integers(period.start_us + US_PER_DAY, period.end_us, size)


def make_affiliates(rng: np.random.Generator, period: Period, players: int) -> tuple:
    """Affiliates (with a few second versions); returns the table and the payout currencies."""
    count = affiliate_count(players)
    numbers = np.arange(1, count + 1)
    stems = rng.integers(0, len(_NAME_STEMS), count)
    tails = rng.integers(0, len(_NAME_TAILS), count)
    names = [
        f"{_NAME_STEMS[s]} {_NAME_TAILS[t]} {n}"
        for s, t, n in zip(stems, tails, numbers, strict=True)
    ]
    emails = [f"partners@{name.lower().replace(' ', '-')}.example.net" for name in names]

    # Sub-affiliates: a few "master" affiliates recruit others; one level deep, as paid.
    masters = max(1, count // 12)
    parent = np.where(rng.random(count) < 0.15, rng.integers(0, masters, count), -1)
    parent[:masters] = -1
    parent[masters] = 0  # at least one sub-affiliate, always

    status = choose(rng, (0.85, 0.10, 0.05), count)
    status[[0, masters]] = 0
    created_us = period.start_us - rng.integers(30 * US_PER_DAY, 700 * US_PER_DAY, count)
    currency = choose(rng, _PAYOUT_WEIGHTS, count)
    currency[: min(count, len(PAYOUT_CURRENCIES))] = np.arange(min(count, len(PAYOUT_CURRENCIES)))
    country = rng.integers(0, len(AFFILIATE_COUNTRIES), count)

    # Second versions: a status change during the period (never on the two planted ones).
    changed = np.flatnonzero(rng.random(count) < 0.08)
    changed = changed[changed > masters]
    if len(changed) == 0:
        changed = np.array([count - 1])
    rows = np.concatenate([np.arange(count), changed])
    new_status = np.where(status[changed] == 0, 1, 0)
    row_status = np.concatenate([status, new_status])
    updated_us = np.concatenate(
        [_first_hour(rng, period, count), _within_period(rng, period, len(changed))]
    )
    affiliate_ids = numbered("aff_", numbers, 4)
    parent_index = parent[rows]
    affiliates = table(
        "affiliate.affiliates",
        {
            "affiliate_id": affiliate_ids.take(pa.array(rows)),
            "name": labels(names, rows),
            "email": labels(emails, rows),
            "country": labels(AFFILIATE_COUNTRIES, country[rows]),
            "parent_affiliate_id": labels(
                affiliate_ids.to_pylist(), np.maximum(parent_index, 0), null_mask=parent_index < 0
            ),
            "status": labels(AFFILIATE_STATUSES, row_status),
            "payout_currency": labels(PAYOUT_CURRENCIES, currency[rows]),
            "created_at": timestamps(created_us[rows]),
            "updated_at": timestamps(updated_us),
        },
    )
    payout = frozenset(PAYOUT_CURRENCIES[i] for i in np.unique(currency))
    return affiliates, affiliate_ids, created_us, payout, parent >= 0


def make_campaigns(
    rng: np.random.Generator, period: Period, affiliate_ids: pa.Array, affiliate_created: np.ndarray
) -> tuple[pa.Table, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, pa.Array]:
    """1-3 campaigns per affiliate: owner, brand, source, traffic weight and quality."""
    affiliates = len(affiliate_ids)
    per_affiliate = rng.integers(1, 4, affiliates)
    owner = np.repeat(np.arange(affiliates), per_affiliate)
    count = len(owner)
    brand = choose(rng, BRAND_WEIGHTS, count)
    brand[:3] = [0, 1, 2]  # every brand has affiliate traffic
    source = choose(rng, TRAFFIC_WEIGHTS, count)
    source[3 : 3 + len(TRAFFIC_SOURCES)] = np.arange(len(TRAFFIC_SOURCES))[: max(0, count - 3)]
    # Traffic is concentrated: a few affiliates send most clicks.
    weight = rng.lognormal(0.0, 1.0, affiliates)[owner] * rng.lognormal(0.0, 0.5, count)
    quality = rng.lognormal(0.0, 0.35, affiliates)[owner]
    numbers = np.arange(1, count + 1)
    names = [
        f"{BRANDS[b].title()} {TRAFFIC_SOURCES[s].upper()} #{n}"
        for b, s, n in zip(brand, source, numbers, strict=True)
    ]
    lead_time = period.start_us - affiliate_created[owner]
    created_us = affiliate_created[owner] + (rng.random(count) * lead_time).astype(np.int64)

    renamed = np.flatnonzero(rng.random(count) < 0.05)
    rows = np.concatenate([np.arange(count), renamed])
    row_names = names + [f"{names[i]} (refresh)" for i in renamed]
    updated_us = np.concatenate(
        [_first_hour(rng, period, count), _within_period(rng, period, len(renamed))]
    )
    campaign_ids = numbered("cmp_", numbers, 5)
    campaign_affiliates = affiliate_ids.take(pa.array(owner))
    campaigns = table(
        "affiliate.campaigns",
        {
            "campaign_id": campaign_ids.take(pa.array(rows)),
            "affiliate_id": campaign_affiliates.take(pa.array(rows)),
            "brand_id": labels(BRANDS, brand[rows]),
            "name": pa.array(row_names, pa.string()),
            "traffic_source": labels(TRAFFIC_SOURCES, source[rows]),
            "created_at": timestamps(created_us[rows]),
            "updated_at": timestamps(updated_us),
        },
    )
    return campaigns, owner, brand, source, weight, quality, campaign_ids


def _pick(rng: np.random.Generator, options: tuple):
    return options[int(rng.integers(0, len(options)))]


def _deal_terms(rng: np.random.Generator, shape: tuple, variant: int) -> dict:
    """One deal's commercial terms; money and rates as int ten-thousandths.

    `variant` cycles the yes/no terms (carryover, KYC) for the first deals, so both
    values exist in any operator; later deals draw them.
    """
    plan, basis, method, tier_table = shape
    revshare = plan in ("revshare", "hybrid")
    cpa = plan in ("cpa", "hybrid")
    early = variant < 2 * len(DEAL_SHAPES)
    terms: dict = {"plan_type": plan}
    if revshare:
        if tier_table is None:
            rate = _pick(rng, (2000, 2500) if cpa else (2500, 3000, 3500, 4000))
            tier_table = ((0,), (rate,))
        thresholds, rates = tier_table
        terms["tiers"] = [(t * UNITS_PER_MAJOR, r) for t, r in zip(thresholds, rates, strict=True)]
        terms |= {"tier_basis": basis, "tier_method": method}
        carry = variant % 2 == 0 if early else rng.random() < 0.6
        terms["negative_carryover"] = bool(carry)
        terms["admin_fee_rate"] = (
            (0, 1000, 2000)[variant % 3] if early else _pick(rng, (0, 1000, 2000, 2000))
        )
    else:
        terms |= {"tiers": None, "tier_basis": None, "tier_method": None}
        terms |= {"negative_carryover": False, "admin_fee_rate": 0}
    if cpa:
        drawn = _pick(rng, ("EUR", "EUR", "USD", "GBP"))
        currency = CPA_CURRENCIES[variant % len(CPA_CURRENCIES)] if early else drawn
        amounts = (50, 75, 100) if revshare else (100, 150, 200, 250)
        terms["cpa_amount"] = _pick(rng, amounts) * _CURRENCY_SCALE[currency] * UNITS_PER_MAJOR
        terms["cpa_currency"] = currency
        terms["cpa_min_first_deposit"] = _pick(rng, (10, 20, 25, 50)) * UNITS_PER_MAJOR
        terms["cpa_min_wagered"] = _pick(rng, (0, 50, 100, 200)) * UNITS_PER_MAJOR
        terms["cpa_window_days"] = _pick(rng, (7, 14, 30, 30, 60))
        terms["cpa_requires_kyc"] = bool(variant % 2 == 1 if early else rng.random() < 0.8)
    else:
        for name in ("cpa_amount", "cpa_currency", "cpa_min_first_deposit", "cpa_min_wagered"):
            terms[name] = None
        terms |= {"cpa_window_days": None, "cpa_requires_kyc": False}
    terms["sub_affiliate_rate"] = 500 if rng.random() < 0.7 else 1000
    terms["clawback_days"] = _pick(rng, (60, 90, 90, 120))
    terms["min_payout"] = _pick(rng, (0, 50, 100, 100, 250)) * UNITS_PER_MAJOR
    return terms


def _optional_money(values: list[int | None]) -> pa.Array:
    missing = np.array([v is None for v in values], dtype=bool)
    return money(np.array([v or 0 for v in values], dtype=np.int64), missing)


def _month_ends(period: Period) -> list[int]:
    """Day numbers of the last day of every month that ends inside the period, but the last."""
    days = period.start_day + np.arange(period.days)
    as_dates = days.astype("datetime64[D]")
    month = as_dates.astype("datetime64[M]")
    last = np.flatnonzero(month[1:] != month[:-1])
    return [int(days[i]) for i in last]


def make_deals(
    rng: np.random.Generator,
    period: Period,
    affiliate_ids: pa.Array,
    campaign_owner: np.ndarray,
    campaign_brand: np.ndarray,
) -> tuple[pa.Table, frozenset[str]]:
    """Per affiliate: all-brands cover over the whole period (sometimes renegotiated at a
    month end), some brand deals, and a few expired older ones."""
    start_day, end_day = period.start_day, period.start_day + period.days - 1
    month_ends = _month_ends(period)
    deals: list[dict] = []
    shape_draws = choose(rng, _SHAPE_WEIGHTS, len(affiliate_ids))
    for index, affiliate_id in enumerate(affiliate_ids.to_pylist()):
        shape_index = index if index < len(DEAL_SHAPES) else int(shape_draws[index])
        valid_from = start_day - int(rng.integers(0, 365))
        first_hour = period.start_us + int(rng.integers(0, US_PER_HOUR))
        renegotiated = month_ends and (index == 2 or rng.random() < 0.08)
        if renegotiated:
            # The old deal ends at a month end; the new one starts the next day and was
            # published a few days before that.
            switch = int(month_ends[int(rng.integers(0, len(month_ends)))])
            deals.append(
                _deal_terms(rng, DEAL_SHAPES[shape_index], index)
                | {"affiliate_id": affiliate_id, "brand_id": None, "valid_from": valid_from}
                | {"valid_to": switch, "updated_us": first_hour}
            )
            published = max(period.start_us, (switch - 4) * US_PER_DAY) + int(
                rng.integers(0, US_PER_DAY)
            )
            new_shape = DEAL_SHAPES[(shape_index + 2) % len(DEAL_SHAPES)]
            deals.append(
                _deal_terms(rng, new_shape, index + 1)
                | {"affiliate_id": affiliate_id, "brand_id": None, "valid_from": switch + 1}
                | {"valid_to": None, "updated_us": published}
            )
        else:
            open_ended = rng.random() < 0.8
            deals.append(
                _deal_terms(rng, DEAL_SHAPES[shape_index], index)
                | {"affiliate_id": affiliate_id, "brand_id": None, "valid_from": valid_from}
                | {"valid_to": None if open_ended else end_day + int(rng.integers(30, 365))}
                | {"updated_us": first_hour}
            )
        own_brands = np.unique(campaign_brand[campaign_owner == index])
        if index == 0 or rng.random() < 0.25:
            brand_shape = DEAL_SHAPES[(shape_index + 1) % len(DEAL_SHAPES)]
            deals.append(
                _deal_terms(rng, brand_shape, index + 3)
                | {"affiliate_id": affiliate_id, "brand_id": BRANDS[int(rng.choice(own_brands))]}
                | {"valid_from": start_day - int(rng.integers(0, 60)), "valid_to": None}
                | {"updated_us": period.start_us + int(rng.integers(0, US_PER_HOUR))}
            )
        if index == 1 or rng.random() < 0.1:
            # A deal that ended before the period: it must never apply.
            deals.append(
                _deal_terms(rng, DEAL_SHAPES[int(rng.integers(0, len(DEAL_SHAPES)))], index + 5)
                | {"affiliate_id": affiliate_id, "brand_id": None}
                | {"valid_from": start_day - int(rng.integers(400, 600))}
                | {"valid_to": start_day - int(rng.integers(1, 30))}
                | {"updated_us": period.start_us + int(rng.integers(0, US_PER_HOUR))}
            )

    count = len(deals)
    column = {name: [deal[name] for deal in deals] for name in deals[0]}
    tier_lists = column["tiers"]
    lengths = np.array([len(t) if t else 0 for t in tier_lists])
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
    flat = [pair for tiers in tier_lists if tiers for pair in tiers]
    tier_type = entity("affiliate.deals").schema.field("revshare_tiers").type
    tier_values = pa.StructArray.from_arrays(
        [money(np.array([t for t, _ in flat])), money(np.array([r for _, r in flat]))],
        fields=list(tier_type.value_type),
    )
    no_tiers = np.array([t is None for t in tier_lists])
    tiers = pa.ListArray.from_arrays(
        pa.array(offsets), tier_values, type=tier_type, mask=pa.array(no_tiers)
    )
    window = column["cpa_window_days"]
    no_window = np.array([w is None for w in window])
    valid_to = column["valid_to"]
    no_valid_to = np.array([v is None for v in valid_to])
    deals_table = table(
        "affiliate.deals",
        {
            "deal_id": numbered("deal_", np.arange(1, count + 1), 4),
            "affiliate_id": pa.array(column["affiliate_id"], pa.string()),
            "brand_id": pa.array(column["brand_id"], pa.string()),
            "valid_from": dates(np.array(column["valid_from"])),
            "valid_to": dates(np.array([v or 0 for v in valid_to]), no_valid_to),
            "plan_type": pa.array(column["plan_type"], pa.string()),
            "cpa_amount": _optional_money(column["cpa_amount"]),
            "cpa_currency": pa.array(column["cpa_currency"], pa.string()),
            "cpa_min_first_deposit": _optional_money(column["cpa_min_first_deposit"]),
            "cpa_min_wagered": _optional_money(column["cpa_min_wagered"]),
            "cpa_window_days": ints(np.array([w or 0 for w in window]), no_window),
            "cpa_requires_kyc": bools(np.array(column["cpa_requires_kyc"])),
            "revshare_tiers": tiers,
            "tier_basis": pa.array(column["tier_basis"], pa.string()),
            "tier_method": pa.array(column["tier_method"], pa.string()),
            "negative_carryover": bools(np.array(column["negative_carryover"])),
            "admin_fee_rate": money(np.array(column["admin_fee_rate"])),
            "sub_affiliate_rate": money(np.array(column["sub_affiliate_rate"])),
            "clawback_days": ints(np.array(column["clawback_days"])),
            "min_payout": money(np.array(column["min_payout"])),
            "updated_at": timestamps(np.array(column["updated_us"], dtype=np.int64)),
        },
    )
    cpa_currencies = frozenset(c for c in column["cpa_currency"] if c)
    return deals_table, cpa_currencies


def make_partners(rng: np.random.Generator, period: Period, players: int) -> Partners:
    affiliates, affiliate_ids, created_us, payout, _ = make_affiliates(rng, period, players)
    campaigns, owner, brand, source, weight, quality, campaign_ids = make_campaigns(
        rng, period, affiliate_ids, created_us
    )
    deals, cpa_currencies = make_deals(rng, period, affiliate_ids, owner, brand)
    return Partners(
        affiliates=affiliates,
        campaigns=campaigns,
        deals=deals,
        campaign_brand=brand,
        campaign_weight=weight,
        campaign_source=source,
        campaign_click_rate=(SOURCE_CLICK_RATE[source] * quality).clip(0.005, 0.4),
        campaign_deposit_rate=(SOURCE_DEPOSIT_RATE[source] * np.sqrt(quality)).clip(0.05, 0.9),
        campaign_ids=campaign_ids,
        campaign_affiliate_ids=affiliate_ids.take(pa.array(owner)),
        campaign_owner=owner,
        currencies=payout | cpa_currencies,
    )
