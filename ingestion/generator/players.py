"""Players and the clicks that brought them.

Built column-wise: every draw is one numpy call over all players or all clicks. The
attribution scenarios (click id, device, organic, stale click) and the multi-account
chains are planted here; the ground truth is then recomputed from the finished tables by
`ingestion.generator.truth`, so it follows the business rules, not these intentions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingestion.generator.arrays import (
    US_PER_DAY,
    US_PER_HOUR,
    US_PER_MINUTE,
    US_PER_SECOND,
    Period,
    choose,
    concat_text,
    int_text,
    labels,
    numbered,
    times_of_day,
)
from ingestion.generator.partners import BRAND_WEIGHTS, BRANDS, Partners

COUNTRIES = ("DE", "FI", "GB", "CA", "IE")
CURRENCIES = ("EUR", "USD", "GBP")
_COUNTRY_CURRENCY = np.array([0, 0, 2, 1, 0])  # DE, FI: EUR; GB: GBP; CA: USD; IE: EUR
# Each brand's markets, as weights over COUNTRIES.
_BRAND_MARKETS = np.array(
    [
        [0.50, 0.30, 0.00, 0.20, 0.00],  # aurora
        [0.00, 0.00, 0.60, 0.15, 0.25],  # nova
        [0.40, 0.20, 0.20, 0.00, 0.20],  # vega
    ]
)
_EMAIL_DOMAINS = ("example.com", "example.org", "mail.example.net", "post.example.de")
_USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/128.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/128.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:129.0) Gecko/20100101 Firefox/129.0",
    "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/127.0 Mobile Safari/537.36",
)
_SUB_IDS = ("banner_top", "banner_side", "review_page", "newsletter", "kw_casino_bonus", "tiktok")

WINDOW_US = 720 * US_PER_HOUR  # the attribution window of the business rules


@dataclass
class Population:
    """Per-player arrays (index = row of the players table's first versions)."""

    count: int
    registered_us: np.ndarray
    brand: np.ndarray
    country: np.ndarray
    currency: np.ndarray
    player_ids: pa.Array
    emails: pa.Array
    device_number: np.ndarray  # -1: no device captured
    registration_ip: pa.Array
    birth_day: np.ndarray  # days since epoch
    consent: np.ndarray
    click_id: pa.Array | None = None  # set once clicks exist
    chains: np.ndarray | None = None  # (k, 3) multi-account chains A-B (email), B-C (device)

    @property
    def device_ids(self) -> pa.Array:
        return _device_ids(self.device_number)


def _device_ids(numbers: np.ndarray) -> pa.Array:
    text = pc.utf8_lpad(int_text(np.maximum(numbers, 0)), 9, "0")
    ids = concat_text("dev_", text)
    return pc.if_else(pa.array(numbers < 0), pa.nulls(len(numbers), pa.string()), ids)


def _ip_addresses(rng: np.random.Generator, size: int) -> pa.Array:
    """Private-range addresses like 10.23.4.187 (fake, but shaped like the real thing)."""
    second, third = rng.integers(0, 256, size), rng.integers(0, 256, size)
    fourth = rng.integers(1, 255, size)
    return concat_text("10.", int_text(second), ".", int_text(third), ".", int_text(fourth))


def _countries_for_brands(rng: np.random.Generator, brand: np.ndarray) -> np.ndarray:
    country = np.empty(len(brand), dtype=np.int64)
    for index in range(len(BRANDS)):
        members = np.flatnonzero(brand == index)
        country[members] = choose(rng, _BRAND_MARKETS[index], len(members))
    return country


def make_population(rng: np.random.Generator, period: Period, count: int) -> Population:
    """Registrations over the period; ids per brand in registration order."""
    day = rng.integers(0, period.days, count)
    registered_us = np.sort(period.start_us + day * US_PER_DAY + times_of_day(rng, count))
    brand = choose(rng, BRAND_WEIGHTS, count)
    country = _countries_for_brands(rng, brand)
    currency = _COUNTRY_CURRENCY[country]
    currency = np.where(rng.random(count) < 0.08, 1, currency)  # some prefer a USD wallet

    # Player ids count per brand, so the lowest id is not always the earliest sign-up.
    sequence = np.zeros(count, dtype=np.int64)
    for index in range(len(BRANDS)):
        members = np.flatnonzero(brand == index)
        sequence[members] = np.arange(1, len(members) + 1)
    prefixes = labels([b[:3] + "_" for b in BRANDS], brand)
    player_ids = concat_text(prefixes, pc.utf8_lpad(int_text(sequence), 6, "0"))

    mailbox = rng.permutation(count) + 1
    domain = labels(_EMAIL_DOMAINS, choose(rng, (0.55, 0.25, 0.12, 0.08), count))
    emails = concat_text("p", pc.utf8_lpad(int_text(mailbox), 6, "0"), "@", domain)
    device_number = rng.permutation(count) + 1
    device_number = np.where(rng.random(count) < 0.02, -1, device_number)

    age_days = ((18.0 + rng.gamma(2.0, 9.0, count).clip(0, 55)) * 365.25).astype(np.int64)
    birth_day = registered_us // US_PER_DAY - age_days - 1
    return Population(
        count=count,
        registered_us=registered_us,
        brand=brand,
        country=country,
        currency=currency,
        player_ids=player_ids,
        emails=emails,
        device_number=device_number,
        registration_ip=_ip_addresses(rng, count),
        birth_day=birth_day,
        consent=rng.random(count) < 0.6,
    )


def plant_multi_accounts(rng: np.random.Generator, population: Population) -> None:
    """Chains A-B (same email, other spelling) and B-C (same device); device-sharing pairs.

    The first chain's two earliest accounts get the same registration time, so the
    person id has to fall back to the lowest player id.
    """
    count = population.count
    chains = max(2, round(0.02 * count / 3))
    pairs = max(1, round(0.005 * count))
    chosen = rng.choice(count, 3 * chains + 2 * pairs, replace=False)
    chain = chosen[: 3 * chains].reshape(chains, 3)
    pair = chosen[3 * chains :].reshape(pairs, 2)
    a, b, c = chain[:, 0], chain[:, 1], chain[:, 2]

    emails = population.emails
    variant = concat_text("  ", pc.utf8_upper(emails.take(pa.array(a))), " ")
    email_of = np.arange(count)
    email_of[b] = a
    is_variant = np.zeros(count, dtype=bool)
    is_variant[b] = True
    variant_at = np.zeros(count, dtype=np.int64)
    variant_at[b] = np.arange(chains)
    population.emails = pc.if_else(
        pa.array(is_variant),
        variant.take(pa.array(variant_at)),
        emails.take(pa.array(email_of)),
    )

    device = population.device_number
    needs_device = np.concatenate([b, pair[:, 0]])
    device[needs_device] = np.where(
        device[needs_device] < 0, count + 1 + needs_device, device[needs_device]
    )
    device[c] = device[b]
    device[pair[:, 1]] = device[pair[:, 0]]

    first = np.sort(chain[0])  # registered_us is ascending in player index
    population.registered_us[first[1]] = population.registered_us[first[0]]
    population.chains = chain


@dataclass
class ClickParts:
    """Clicks under construction, as parallel arrays."""

    clicked_us: list[np.ndarray]
    campaign: list[np.ndarray]
    device: list[np.ndarray]
    country: list[np.ndarray]
    player: list[np.ndarray]  # -1 for traffic that never registered

    def add(self, clicked_us, campaign, device, country, player) -> np.ndarray:
        """Append clicks; return their positions in the final concatenation."""
        offset = sum(len(part) for part in self.clicked_us)
        self.clicked_us.append(np.asarray(clicked_us, dtype=np.int64))
        self.campaign.append(np.asarray(campaign, dtype=np.int64))
        self.device.append(np.asarray(device, dtype=np.int64))
        self.country.append(np.asarray(country, dtype=np.int64))
        self.player.append(np.asarray(player, dtype=np.int64))
        return offset + np.arange(len(self.clicked_us[-1]))


def _campaigns_of_brands(
    rng: np.random.Generator, partners: Partners, brand: np.ndarray
) -> np.ndarray:
    """A campaign of each given brand, weighted by the campaigns' traffic."""
    campaign = np.empty(len(brand), dtype=np.int64)
    for index in range(len(BRANDS)):
        members = np.flatnonzero(brand == index)
        candidates = np.flatnonzero(partners.campaign_brand == index)
        weights = partners.campaign_weight[candidates]
        campaign[members] = candidates[choose(rng, weights, len(members))]
    return campaign


@dataclass(frozen=True)
class Clicks:
    table_columns: dict[str, pa.Array]
    count: int
    planted: dict[str, int]


def make_clicks(
    rng: np.random.Generator, period: Period, population: Population, partners: Partners
) -> Clicks:
    """Converting clicks per attribution scenario, then 5-10x non-converting traffic."""
    count = population.count
    registered = population.registered_us
    device = population.device_number
    has_device = device >= 0
    parts = ClickParts([], [], [], [], [])
    # Device numbers: players 1..2n (see plant_multi_accounts), the trackers' devices of
    # players whose device the CRM missed 3n+1..4n, traffic that never registers above 5n.
    missed_device_base = 3 * count + 1
    noise_device_base = 5 * count + 1

    draw = rng.random(count)
    by_click = draw < 0.70
    by_device = (draw >= 0.70) & (draw < 0.80) & has_device
    stale = (draw >= 0.80) & (draw < 0.83)

    # 1. The click the player registered with: mostly hours before sign-up, within 30 days.
    clickers = np.flatnonzero(by_click)
    hours = rng.lognormal(np.log(6.0), 1.6, len(clickers)).clip(0.02, 715.0)
    offset = (hours * US_PER_HOUR).astype(np.int64)
    exact_edge = clickers[has_device[clickers]][:1]
    offset[np.isin(clickers, exact_edge)] = WINDOW_US  # exactly 720 h: still in the window
    own_device = np.where(has_device[clickers], device[clickers], missed_device_base + clickers)
    registered_click = parts.add(
        registered[clickers] - offset,
        _campaigns_of_brands(rng, partners, population.brand[clickers]),
        own_device,
        population.country[clickers],
        clickers,
    )
    click_position = np.full(count, -1)
    click_position[clickers] = registered_click

    # 1a. Earlier clicks from the same device (multi-touch); some fall outside the window.
    touched = np.flatnonzero(has_device[clickers] & (rng.random(len(clickers)) < 0.3))
    extra = rng.integers(1, 3, len(touched))
    owner = np.repeat(touched, extra)
    player = clickers[owner]
    room = WINDOW_US - offset[owner]
    earlier = registered[player] - offset[owner] - (rng.random(len(owner)) * room).astype(np.int64)
    outside = rng.random(len(owner)) < 0.2
    earlier[outside] = (
        registered[player[outside]]
        - WINDOW_US
        - rng.integers(US_PER_HOUR, 20 * US_PER_DAY, int(outside.sum()))
    )
    parts.add(
        earlier,
        _campaigns_of_brands(rng, partners, population.brand[player]),
        device[player],
        population.country[player],
        player,
    )

    # 1b. A later click from the same device before sign-up: the registered click still wins.
    overtaken = np.flatnonzero(has_device[clickers] & (rng.random(len(clickers)) < 0.05))
    player = clickers[overtaken]
    gap = offset[overtaken]
    parts.add(
        registered[player] - (rng.random(len(player)) * gap).astype(np.int64),
        _campaigns_of_brands(rng, partners, population.brand[player]),
        device[player],
        population.country[player],
        player,
    )

    # 2. Device attribution: no usable click id, but clicks from the player's device.
    device_players = np.flatnonzero(by_device)
    extra = rng.integers(1, 3, len(device_players))
    player = np.repeat(device_players, extra)
    parts.add(
        registered[player] - rng.integers(US_PER_MINUTE, WINDOW_US - US_PER_MINUTE, len(player)),
        _campaigns_of_brands(rng, partners, population.brand[player]),
        device[player],
        population.country[player],
        player,
    )
    kind = rng.random(len(device_players))  # null id, unknown id, or another brand's click
    other_brand_players = device_players[kind >= 0.85]
    brand_shift = rng.integers(1, len(BRANDS), len(other_brand_players))
    other_brand = (population.brand[other_brand_players] + brand_shift) % len(BRANDS)
    other_brand_click = parts.add(
        registered[other_brand_players]
        - rng.integers(US_PER_MINUTE, WINDOW_US, len(other_brand_players)),
        _campaigns_of_brands(rng, partners, other_brand),
        device[other_brand_players],
        population.country[other_brand_players],
        other_brand_players,
    )
    click_position[other_brand_players] = other_brand_click
    unknown_players = device_players[(kind >= 0.5) & (kind < 0.85)]

    # 3. A stale click id: more than 30 days old, so the player is organic.
    stale_players = np.flatnonzero(stale)
    stale_offset = rng.integers(31 * US_PER_DAY, 60 * US_PER_DAY, len(stale_players))
    stale_offset[:1] = WINDOW_US + US_PER_SECOND  # one second outside the window
    stale_device = np.where(
        has_device[stale_players], device[stale_players], missed_device_base + stale_players
    )
    stale_click = parts.add(
        registered[stale_players] - stale_offset,
        _campaigns_of_brands(rng, partners, population.brand[stale_players]),
        stale_device,
        population.country[stale_players],
        stale_players,
    )
    click_position[stale_players] = stale_click

    # 4. Clicks after sign-up never change attribution.
    late = np.flatnonzero(has_device & (rng.random(count) < 0.03))
    late_us = registered[late] + rng.integers(US_PER_HOUR, 10 * US_PER_DAY, len(late))
    keep = late_us < period.end_us
    late = late[keep]
    parts.add(
        late_us[keep],
        _campaigns_of_brands(rng, partners, population.brand[late]),
        device[late],
        population.country[late],
        late,
    )

    # 5. Traffic that never converts: 5-10x the player clicks, over the period and the
    # month before it; devices click a few times each.
    converting = sum(len(part) for part in parts.clicked_us)
    noise = int(converting * rng.uniform(5.0, 10.0))
    campaign = choose(rng, partners.campaign_weight, noise)
    window_start = period.start_us - 30 * US_PER_DAY
    noise_day = rng.integers(0, (period.end_us - window_start) // US_PER_DAY, noise)
    parts.add(
        window_start + noise_day * US_PER_DAY + times_of_day(rng, noise),
        campaign,
        noise_device_base + rng.integers(0, max(1, noise // 2), noise),
        _countries_for_brands(rng, partners.campaign_brand[campaign]),
        np.full(noise, -1),
    )

    # Assemble, number in time order (as the tracking platform does), and build columns.
    clicked_us = np.concatenate(parts.clicked_us)
    order = np.lexsort((np.arange(len(clicked_us)), clicked_us))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(1, len(order) + 1)
    width = max(7, len(str(len(order))))
    click_ids = numbered("clk_", rank, width)
    campaign = np.concatenate(parts.campaign)
    device_numbers = np.concatenate(parts.device)
    players = np.concatenate(parts.player)
    country = np.concatenate(parts.country)
    size = len(clicked_us)
    # Most of a player's clicks come from the IP address they later registered from.
    same_ip = (players >= 0) & (rng.random(size) < 0.7)
    ip = pc.if_else(
        pa.array(same_ip),
        population.registration_ip.take(pa.array(np.maximum(players, 0))),
        _ip_addresses(rng, size),
    )
    has_sub_id = rng.random(size) < 0.6
    sub_id = labels(_SUB_IDS, rng.integers(0, len(_SUB_IDS), size), null_mask=~has_sub_id)
    columns = {
        "click_id": click_ids,
        "affiliate_id": partners.campaign_affiliate_ids.take(pa.array(campaign)),
        "campaign_id": partners.campaign_ids.take(pa.array(campaign)),
        "brand_id": labels(BRANDS, partners.campaign_brand[campaign]),
        "clicked_at": clicked_us,
        "ip_address": ip,
        "user_agent": labels(_USER_AGENTS, rng.integers(0, len(_USER_AGENTS), size)),
        "device_id": _device_ids(device_numbers),
        "country": labels(COUNTRIES, country),
        "sub_id": sub_id,
    }

    # The players' stored click ids: a real one, an unknown one, or none.
    has_click = click_position >= 0
    registered_ids = click_ids.take(pa.array(np.maximum(click_position, 0)))
    unknown = np.zeros(count, dtype=bool)
    unknown[unknown_players] = True
    unknown_ids = concat_text(
        "clk_x", pc.utf8_lpad(int_text(rng.integers(0, 10**6, count)), 6, "0")
    )
    player_click = pc.if_else(pa.array(unknown), unknown_ids, registered_ids)
    population.click_id = pc.if_else(
        pa.array(has_click | unknown), player_click, pa.nulls(count, pa.string())
    )

    def player_id(indices: np.ndarray) -> str | None:
        return population.player_ids[int(indices[0])].as_py() if len(indices) else None

    planted = {
        "player_with_click_exactly_720h_before_signup": player_id(exact_edge),
        "player_with_click_720h_1s_before_signup": player_id(stale_players[:1]),
        "players_with_click_id_scenario": int(by_click.sum()),
        "players_with_device_scenario": int(by_device.sum()),
        "players_with_stale_click": int(stale.sum()),
        "players_with_other_brand_click_id": len(other_brand_players),
        "players_with_unknown_click_id": len(unknown_players),
        "non_converting_clicks": noise,
    }
    return Clicks(table_columns=columns, count=size, planted=planted)
