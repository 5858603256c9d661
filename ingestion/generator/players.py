"""Players and the clicks that brought them.

Built column-wise: every draw is one numpy call over all players or all clicks. The
attribution scenarios (click id, device, organic, stale click), the multi-account rings,
the bonus-abuse rings and the click floods are planted here; the attribution and identity
ground truth is then recomputed from the finished tables by `ingestion.generator.truth`,
so it follows the business rules, not these intentions.

Funnels: a campaign's clicks register at its `campaign_click_rate` (by traffic source and
affiliate quality), so converting clicks pick campaigns in proportion to traffic x rate and
the traffic that never registers in proportion to traffic x (1 - rate).
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
    fixed_ids,
    int_text,
    labels,
    ragged,
    seasonal_days,
    times_of_day,
)
from ingestion.generator.partners import BRAND_WEIGHTS, BRANDS, Partners

COUNTRIES = ("DE", "FI", "GB", "CA", "IE", "SE", "NO", "AT")
CURRENCIES = ("EUR", "USD", "GBP", "SEK", "NOK")
# Wallet currency per country: DE, FI, IE, AT: EUR; GB: GBP; CA: USD; SE: SEK; NO: NOK.
_COUNTRY_CURRENCY = np.array([0, 0, 2, 1, 0, 3, 4, 0])
# How many wallet units a typical amount takes (a SEK deposit is ten times a EUR one).
CURRENCY_SCALE = np.array([1, 1, 1, 10, 10])
# Each brand's markets, as weights over COUNTRIES.
_BRAND_MARKETS = np.array(
    [
        [0.40, 0.25, 0.00, 0.15, 0.00, 0.10, 0.05, 0.05],  # aurora
        [0.00, 0.00, 0.55, 0.15, 0.20, 0.00, 0.00, 0.10],  # nova
        [0.30, 0.15, 0.15, 0.00, 0.10, 0.15, 0.15, 0.00],  # vega
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
    # Only the click floods use this one: a headless browser on a server.
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/126.0 Safari/537.36",
)
_HUMAN_AGENTS = len(_USER_AGENTS) - 1
_SUB_IDS = ("banner_top", "banner_side", "review_page", "newsletter", "kw_casino_bonus", "tiktok")

WINDOW_US = 720 * US_PER_HOUR  # the attribution window of the business rules
LINK_EMAIL, LINK_DEVICE = 0, 1


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
    campaign: np.ndarray | None = None  # campaign that brought the player; -1 organic
    rings: Rings | None = None
    bonus_abuser: np.ndarray | None = None  # bool per player

    @property
    def device_ids(self) -> pa.Array:
        return _device_ids(self.device_number)

    @property
    def amount_scale(self) -> np.ndarray:
        """Wallet units of a typical amount, per player."""
        return CURRENCY_SCALE[self.currency]


@dataclass(frozen=True)
class Rings:
    """Multi-account rings: member i of a ring links to member i-1 by email or device."""

    member: np.ndarray  # player index
    ring: np.ndarray  # ring number per member
    linked_to: np.ndarray  # player index of the previous member; -1 for the first
    link: np.ndarray  # LINK_EMAIL or LINK_DEVICE; -1 for the first
    abusive: np.ndarray  # per ring: a bonus-abuse ring


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
    """Registrations over the period (more at weekends); ids per brand in sign-up order."""
    day = seasonal_days(rng, period.start_day, period.days, count)
    registered_us = np.sort(day * US_PER_DAY + times_of_day(rng, count))
    brand = choose(rng, BRAND_WEIGHTS, count)
    country = _countries_for_brands(rng, brand)
    currency = _COUNTRY_CURRENCY[country]
    currency = np.where(rng.random(count) < 0.06, 1, currency)  # some prefer a USD wallet

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


def _email_variants(emails: pa.Array, style: np.ndarray) -> pa.Array:
    """The same mailbox spelled otherwise: upper case and padded, capitalised, or padded."""
    upper = concat_text("  ", pc.utf8_upper(emails), " ")
    capital = pc.utf8_capitalize(emails)
    padded = concat_text(emails, "  ")
    return pc.if_else(
        pa.array(style == 0), upper, pc.if_else(pa.array(style == 1), capital, padded)
    )


def plant_multi_accounts(rng: np.random.Generator, population: Population) -> None:
    """Rings of 2-5 accounts, each linked to the previous one by email or by device, the
    link types alternating (ring 0 is the chain A-B by email, B-C by device). About one
    ring in three abuses bonuses.

    Ring 0's two earliest accounts get the same registration time, so the person id has
    to fall back to the lowest player id.
    """
    count = population.count
    ring_count = max(3, round(0.008 * count))
    sizes = choose(rng, (0.4, 0.3, 0.2, 0.1), ring_count) + 2
    sizes[0] = 3
    member = rng.choice(count, int(sizes.sum()), replace=False)
    ring, position = ragged(sizes)
    first_link = rng.integers(0, 2, ring_count)
    first_link[0] = LINK_EMAIL
    later = position > 0
    linked_to = np.where(later, np.roll(member, 1), -1)
    link = np.where(later, (position - 1 + first_link[ring]) % 2, -1)

    # The link types alternate, so the account linked to still has its own email (device).
    by_email = link == LINK_EMAIL
    target, source = member[by_email], linked_to[by_email]
    email_of = np.arange(count)
    email_of[target] = source
    moved = population.emails.take(pa.array(email_of))
    is_variant = np.zeros(count, dtype=bool)
    is_variant[target] = True
    style = np.zeros(count, dtype=np.int64)
    style[target] = np.arange(len(target)) % 3
    population.emails = pc.if_else(pa.array(is_variant), _email_variants(moved, style), moved)

    device = population.device_number
    by_device = link == LINK_DEVICE
    target, source = member[by_device], linked_to[by_device]
    device[source] = np.where(device[source] < 0, count + 1 + source, device[source])
    device[target] = device[source]

    first = np.sort(member[ring == 0])  # registered_us is ascending in player index
    population.registered_us[first[1]] = population.registered_us[first[0]]
    abusive = np.arange(ring_count) % 3 == 1
    population.rings = Rings(member, ring, linked_to, link, abusive)
    population.bonus_abuser = np.zeros(count, dtype=bool)
    population.bonus_abuser[member[abusive[ring]]] = True


@dataclass
class ClickParts:
    """Clicks under construction, as parallel arrays."""

    clicked_us: list[np.ndarray] = field(default_factory=list)
    campaign: list[np.ndarray] = field(default_factory=list)
    device: list[np.ndarray] = field(default_factory=list)
    country: list[np.ndarray] = field(default_factory=list)
    player: list[np.ndarray] = field(default_factory=list)  # -1: traffic that never registered

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
    rng: np.random.Generator, weights: np.ndarray, campaign_brand: np.ndarray, brand: np.ndarray
) -> np.ndarray:
    """A campaign of each given brand, drawn with the given per-campaign weights."""
    campaign = np.empty(len(brand), dtype=np.int64)
    for index in range(len(BRANDS)):
        members = np.flatnonzero(brand == index)
        candidates = np.flatnonzero(campaign_brand == index)
        campaign[members] = candidates[choose(rng, weights[candidates], len(members))]
    return campaign


@dataclass(frozen=True)
class ClickFlood:
    """Thousands of clicks on one campaign from a few devices within hours; no sign-ups."""

    campaign: int
    first_us: int
    last_us: int
    clicks: int
    devices: int


@dataclass(frozen=True)
class Clicks:
    table_columns: dict[str, pa.Array]
    count: int
    planted: dict[str, object]
    floods: list[ClickFlood]


def _click_floods(
    rng: np.random.Generator, period: Period, partners: Partners, players: int, device_base: int
) -> tuple[list[ClickFlood], list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """One flood per 250,000 players (at least one): times, campaigns and devices."""
    floods, times, campaigns, devices = [], [], [], []
    for number in range(1 + players // 250_000):  # one step per flood, not per click
        campaign = int(choose(rng, partners.campaign_weight, 1)[0])
        size = 2_000 + int(rng.integers(0, 1_000)) + players // 100
        machines = int(rng.integers(3, 9))
        first = int(rng.integers(period.start_us + 7 * US_PER_DAY, period.end_us - US_PER_DAY))
        length = int(rng.integers(US_PER_HOUR, 3 * US_PER_HOUR))
        clicked = np.sort(first + rng.integers(0, length, size))
        floods.append(ClickFlood(campaign, int(clicked[0]), int(clicked[-1]), size, machines))
        times.append(clicked)
        campaigns.append(np.full(size, campaign))
        devices.append(device_base + 10 * number + rng.integers(0, machines, size))
    return floods, times, campaigns, devices


def make_clicks(
    rng: np.random.Generator, period: Period, population: Population, partners: Partners
) -> Clicks:
    """Converting clicks per attribution scenario, the traffic that never converts (per
    campaign, by its click-to-registration rate), and the click floods."""
    count = population.count
    registered = population.registered_us
    device = population.device_number
    has_device = device >= 0
    parts = ClickParts()
    converting_weight = partners.campaign_weight * partners.campaign_click_rate

    def campaigns_for(brand: np.ndarray) -> np.ndarray:
        return _campaigns_of_brands(rng, converting_weight, partners.campaign_brand, brand)

    # Device numbers: players 1..2n (see plant_multi_accounts), the trackers' devices of
    # players whose device the CRM missed 3n+1..4n, traffic that never registers above 5n.
    missed_device_base = 3 * count + 1
    noise_device_base = 5 * count + 1

    draw = rng.random(count)
    by_click = draw < 0.70
    by_device = (draw >= 0.70) & (draw < 0.80) & has_device
    stale = (draw >= 0.80) & (draw < 0.83)
    campaign_of_player = np.full(count, -1)

    # 1. The click the player registered with: mostly hours before sign-up, within 30 days.
    clickers = np.flatnonzero(by_click)
    hours = rng.lognormal(np.log(6.0), 1.6, len(clickers)).clip(0.02, 715.0)
    offset = (hours * US_PER_HOUR).astype(np.int64)
    exact_edge = clickers[has_device[clickers]][:1]
    offset[np.isin(clickers, exact_edge)] = WINDOW_US  # exactly 720 h: still in the window
    own_device = np.where(has_device[clickers], device[clickers], missed_device_base + clickers)
    registered_campaign = campaigns_for(population.brand[clickers])
    campaign_of_player[clickers] = registered_campaign
    registered_click = parts.add(
        registered[clickers] - offset,
        registered_campaign,
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
        campaigns_for(population.brand[player]),
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
        campaigns_for(population.brand[player]),
        device[player],
        population.country[player],
        player,
    )

    # 2. Device attribution: no usable click id, but clicks from the player's device.
    device_players = np.flatnonzero(by_device)
    extra = rng.integers(1, 3, len(device_players))
    player = np.repeat(device_players, extra)
    device_campaign = campaigns_for(population.brand[player])
    campaign_of_player[player] = device_campaign  # one of them; close enough for behaviour
    parts.add(
        registered[player] - rng.integers(US_PER_MINUTE, WINDOW_US - US_PER_MINUTE, len(player)),
        device_campaign,
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
        campaigns_for(other_brand),
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
        campaigns_for(population.brand[stale_players]),
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
        campaigns_for(population.brand[late]),
        device[late],
        population.country[late],
        late,
    )

    # 5. Traffic that never converts, over the period and the month before it (more at
    # weekends): campaign c registers a share rate_c of its clicks, so next to its
    # registrations (traffic_c x rate_c) it gets traffic_c x (1 - rate_c) other clicks.
    rate = partners.campaign_click_rate
    registering = int((campaign_of_player >= 0).sum())
    expected = registering * (partners.campaign_weight * (1 - rate)).sum() / converting_weight.sum()
    noise = int(rng.poisson(expected))
    campaign = choose(rng, partners.campaign_weight * (1 - rate), noise)
    window_days = period.days + 30
    noise_day = seasonal_days(rng, period.start_day - 30, window_days, noise)
    parts.add(
        noise_day * US_PER_DAY + times_of_day(rng, noise),
        campaign,
        noise_device_base + rng.integers(0, max(1, noise // 2), noise),
        _countries_for_brands(rng, partners.campaign_brand[campaign]),
        np.full(noise, -1),
    )

    # 6. Click floods: a bot hammering one campaign from a handful of devices.
    flood_device_base = noise_device_base + noise
    floods, flood_times, flood_campaigns, flood_devices = _click_floods(
        rng, period, partners, count, flood_device_base
    )
    flood_start = sum(len(part) for part in parts.clicked_us)
    for times, campaigns, devices in zip(flood_times, flood_campaigns, flood_devices, strict=True):
        parts.add(
            times,
            campaigns,
            devices,
            _countries_for_brands(rng, partners.campaign_brand[campaigns]),
            np.full(len(times), -1),
        )

    # Assemble in time order, number in that order (as the tracking platform does: the
    # rows come out in delivery order already), and build columns.
    clicked_us = np.concatenate(parts.clicked_us)
    size = len(clicked_us)
    order = np.argsort(clicked_us, kind="stable")
    position_of = np.empty(size, dtype=np.int64)
    position_of[order] = np.arange(size)
    click_position = np.where(click_position >= 0, position_of[np.maximum(click_position, 0)], -1)
    is_flood = (np.arange(size) >= flood_start)[order]
    clicked_us = clicked_us[order]
    width = max(7, len(str(size)))
    click_ids = fixed_ids("clk_", np.arange(1, size + 1), width)
    campaign = np.concatenate(parts.campaign)[order]
    device_numbers = np.concatenate(parts.device)[order]
    players = np.concatenate(parts.player)[order]
    country = np.concatenate(parts.country)[order]
    del order, position_of
    # Most of a player's clicks come from the IP address they later registered from; a
    # flood comes from one address per device.
    same_ip = (players >= 0) & (rng.random(size) < 0.7)
    ip = pc.if_else(
        pa.array(same_ip),
        population.registration_ip.take(pa.array(np.maximum(players, 0))),
        _ip_addresses(rng, size),
    )
    flood_ip = concat_text("192.0.2.", int_text(device_numbers % 250 + 1))  # TEST-NET-1
    ip = pc.if_else(pa.array(is_flood), flood_ip, ip)
    agent = np.where(is_flood, _HUMAN_AGENTS, rng.integers(0, _HUMAN_AGENTS, size))
    has_sub_id = rng.random(size) < 0.6
    sub_id = labels(_SUB_IDS, rng.integers(0, len(_SUB_IDS), size), null_mask=~has_sub_id)
    columns = {
        "click_id": click_ids,
        "affiliate_id": partners.campaign_affiliate_ids.take(pa.array(campaign)),
        "campaign_id": partners.campaign_ids.take(pa.array(campaign)),
        "brand_id": labels(BRANDS, partners.campaign_brand[campaign]),
        "clicked_at": clicked_us,
        "ip_address": ip,
        "user_agent": labels(_USER_AGENTS, agent),
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
    population.campaign = campaign_of_player

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
        "flood_clicks": int(is_flood.sum()),
    }
    return Clicks(table_columns=columns, count=size, planted=planted, floods=floods)
