"""The affiliate side: affiliates, their campaigns and their commission deals.

These tables are small (hundreds of rows), so plain Python over affiliates is fine here.
Every first version is stamped in the first hour of the period (the day the operator's
tracking platform was first exported), so every delivery falls inside the period; a few
records get a second version during the period.
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
PLAN_TYPES = ("revshare", "cpa", "hybrid")  # cycled over affiliates so all three exist
PAYOUT_CURRENCIES = ("EUR", "USD", "GBP")
AFFILIATE_COUNTRIES = ("MT", "CY", "GB", "DE", "FI", "IE", "CA", "SE")
AFFILIATE_STATUSES = ("active", "suspended", "closed")

_NAME_STEMS = ("Slot", "Casino", "Bet", "Spin", "Jackpot", "Lucky", "Reel", "Ace", "Nordic")
_NAME_TAILS = ("Guide", "Hub", "Insider", "Radar", "Media", "Review", "Club", "Portal")

# Three-tier ladders as in the business rules' examples; NDC tiers count customers.
_NGR_TIERS = ((0, 7_500, 50_000), (2_500, 3_000, 3_500))  # thresholds (EUR), rates (bp)
_NDC_TIERS = ((0, 10, 25), (2_500, 3_000, 3_500))


@dataclass(frozen=True)
class Partners:
    affiliates: pa.Table
    campaigns: pa.Table
    deals: pa.Table
    campaign_brand: np.ndarray  # brand index per campaign
    campaign_weight: np.ndarray  # relative traffic per campaign
    campaign_ids: pa.Array
    campaign_affiliate_ids: pa.Array
    currencies: frozenset[str]  # payout and CPA currencies in use


def _first_hour(rng: np.random.Generator, period: Period, size: int) -> np.ndarray:
    return period.start_us + rng.integers(0, US_PER_HOUR, size)


def _within_period(rng: np.random.Generator, period: Period, size: int) -> np.ndarray:
    """Times from the second day of the period to its end (second versions)."""
    return rng.integers(period.start_us + US_PER_DAY, period.end_us, size)


def make_affiliates(rng: np.random.Generator, period: Period, players: int) -> tuple:
    """Affiliates (with a few second versions); returns the table and the payout currencies."""
    count = max(8, players // 60)
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
    currency = choose(rng, (0.6, 0.25, 0.15), count)
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
    return affiliates, affiliate_ids, created_us, payout


def make_campaigns(
    rng: np.random.Generator, period: Period, affiliate_ids: pa.Array, affiliate_created: np.ndarray
) -> tuple[pa.Table, np.ndarray, np.ndarray, np.ndarray, pa.Array]:
    """1-3 campaigns per affiliate; returns the table, owner, brand and traffic weight."""
    per_affiliate = rng.integers(1, 4, len(affiliate_ids))
    owner = np.repeat(np.arange(len(affiliate_ids)), per_affiliate)
    count = len(owner)
    brand = choose(rng, BRAND_WEIGHTS, count)
    brand[:3] = [0, 1, 2]  # every brand has affiliate traffic
    source = choose(rng, TRAFFIC_WEIGHTS, count)
    # Traffic is concentrated: a few affiliates send most clicks.
    weight = rng.lognormal(0.0, 1.0, len(affiliate_ids))[owner] * rng.lognormal(0.0, 0.5, count)
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
    return campaigns, owner, brand, weight, campaign_ids


def _deal_terms(rng: np.random.Generator, plan: str) -> dict:
    """One deal's commercial terms; money and rates as int ten-thousandths."""
    revshare = plan in ("revshare", "hybrid")
    cpa = plan in ("cpa", "hybrid")
    terms: dict = {"plan_type": plan}
    if revshare:
        if rng.random() < 0.3:
            basis = "ndc" if rng.random() < 0.25 else "ngr"
            thresholds, rates = _NDC_TIERS if basis == "ndc" else _NGR_TIERS
            method = "ladder" if basis == "ngr" and rng.random() < 0.4 else "tiered"
        else:
            basis, method, thresholds = "ngr", "tiered", (0,)
            rates = (int(rng.choice((2000, 2500) if cpa else (2500, 3000, 3500, 4000))),)
        terms["tiers"] = [(t * UNITS_PER_MAJOR, r) for t, r in zip(thresholds, rates, strict=True)]
        terms |= {"tier_basis": basis, "tier_method": method}
        terms["negative_carryover"] = bool(rng.random() < 0.6)
        terms["admin_fee_rate"] = int(rng.choice((0, 2000)))
    else:
        terms |= {"tiers": None, "tier_basis": None, "tier_method": None}
        terms |= {"negative_carryover": False, "admin_fee_rate": 0}
    if cpa:
        amounts = (50, 75, 100) if revshare else (100, 150, 200, 250)
        terms["cpa_amount"] = int(rng.choice(amounts)) * UNITS_PER_MAJOR
        terms["cpa_currency"] = "USD" if rng.random() < 0.3 else "EUR"
        terms["cpa_min_first_deposit"] = int(rng.choice((10, 20, 25, 50))) * UNITS_PER_MAJOR
        terms["cpa_min_wagered"] = int(rng.choice((50, 100, 200))) * UNITS_PER_MAJOR
        terms["cpa_window_days"] = 30 if rng.random() < 0.8 else 60
        terms["cpa_requires_kyc"] = bool(rng.random() < 0.8)
    else:
        for name in ("cpa_amount", "cpa_currency", "cpa_min_first_deposit", "cpa_min_wagered"):
            terms[name] = None
        terms |= {"cpa_window_days": None, "cpa_requires_kyc": False}
    terms["sub_affiliate_rate"] = 500 if rng.random() < 0.8 else 1000
    terms["clawback_days"] = int(rng.choice((60, 90, 90, 120)))
    terms["min_payout"] = int(rng.choice((50, 100))) * UNITS_PER_MAJOR
    return terms


def _optional_money(values: list[int | None]) -> pa.Array:
    missing = np.array([v is None for v in values], dtype=bool)
    return money(np.array([v or 0 for v in values], dtype=np.int64), missing)


def make_deals(
    rng: np.random.Generator,
    period: Period,
    affiliate_ids: pa.Array,
    campaign_owner: np.ndarray,
    campaign_brand: np.ndarray,
) -> tuple[pa.Table, frozenset[str]]:
    """An all-brands deal per affiliate, some brand deals, and a few expired older ones."""
    start_day, end_day = period.start_day, period.start_day + period.days - 1
    deals: list[dict] = []
    for index, affiliate_id in enumerate(affiliate_ids.to_pylist()):
        # The all-brands deal, valid over the whole period; plan types cycle.
        open_ended = rng.random() < 0.8
        deals.append(
            _deal_terms(rng, PLAN_TYPES[index % 3])
            | {
                "affiliate_id": affiliate_id,
                "brand_id": None,
                "valid_from": start_day - int(rng.integers(0, 365)),
                "valid_to": None if open_ended else end_day + int(rng.integers(30, 365)),
            }
        )
        own_brands = np.unique(campaign_brand[campaign_owner == index])
        if index == 0 or rng.random() < 0.25:
            deals.append(
                _deal_terms(rng, PLAN_TYPES[(index + 1) % 3])
                | {
                    "affiliate_id": affiliate_id,
                    "brand_id": BRANDS[int(rng.choice(own_brands))],
                    "valid_from": start_day - int(rng.integers(0, 60)),
                    "valid_to": None,
                }
            )
        if index == 1 or rng.random() < 0.1:
            # A deal that ended before the period: it must never apply.
            deals.append(
                _deal_terms(rng, PLAN_TYPES[int(rng.integers(0, 3))])
                | {
                    "affiliate_id": affiliate_id,
                    "brand_id": None,
                    "valid_from": start_day - int(rng.integers(400, 600)),
                    "valid_to": start_day - int(rng.integers(1, 30)),
                }
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
            "updated_at": timestamps(_first_hour(rng, period, count)),
        },
    )
    cpa_currencies = frozenset(c for c in column["cpa_currency"] if c)
    return deals_table, cpa_currencies


def make_partners(rng: np.random.Generator, period: Period, players: int) -> Partners:
    affiliates, affiliate_ids, created_us, payout = make_affiliates(rng, period, players)
    campaigns, owner, brand, weight, campaign_ids = make_campaigns(
        rng, period, affiliate_ids, created_us
    )
    deals, cpa_currencies = make_deals(rng, period, affiliate_ids, owner, brand)
    return Partners(
        affiliates=affiliates,
        campaigns=campaigns,
        deals=deals,
        campaign_brand=brand,
        campaign_weight=weight,
        campaign_ids=campaign_ids,
        campaign_affiliate_ids=affiliate_ids.take(pa.array(owner)),
        currencies=payout | cpa_currencies,
    )
