"""The game aggregator's catalogue: 24 games from 4 providers, and how each category plays.

How a category plays (win chance, payout shape, round length) is what makes the house
edge of the generated rounds come out near 1 - rtp. Everything per round is a lookup by
game plus one uniform draw, so that the rounds table (the volume driver) stays cheap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from ingestion.generator.arrays import (
    US_PER_DAY,
    US_PER_HOUR,
    US_PER_SECOND,
    Period,
    labels,
    money,
    table,
    timestamps,
)

CATEGORIES = ("slots", "live", "table", "crash", "sports")

# (provider, category, name, jackpot-linked)
_CATALOGUE = (
    ("lumen", "slots", "Northern Lights Megaways", True),
    ("lumen", "slots", "Frost Giant Fortune", False),
    ("lumen", "slots", "Aurora Gems", False),
    ("lumen", "slots", "Viking Gold Rush", True),
    ("lumen", "slots", "Midnight Sun Reels", False),
    ("lumen", "slots", "Reindeer Riches", False),
    ("lumen", "slots", "Sauna Spins", False),
    ("swift", "slots", "Swift Quest", True),
    ("swift", "slots", "Sky Falcon Deluxe", False),
    ("swift", "slots", "Book of Tides", False),
    ("swift", "slots", "Fruit Storm 10K", False),
    ("swift", "crash", "Rocket Rush", False),
    ("swift", "crash", "Plinko Peak", False),
    ("orbit", "live", "Orbit Live Roulette", False),
    ("orbit", "live", "Orbit Live Blackjack", False),
    ("orbit", "live", "Lightning Baccarat Live", False),
    ("orbit", "live", "Mega Wheel Live", False),
    ("orbit", "live", "Speed Roulette Live", False),
    ("polar", "table", "European Roulette", False),
    ("polar", "table", "Classic Blackjack", False),
    ("polar", "table", "Punto Banco", False),
    ("polar", "table", "Texas Hold'em Bonus", False),
    ("polar", "sports", "Polar Sportsbook", False),
    ("polar", "slots", "Ice Fishing Bonanza", True),
)

# Share of a stake that counts toward bonus wagering, per category.
_BONUS_CONTRIBUTION = {"slots": 10_000, "crash": 5_000, "live": 1_000, "table": 1_000, "sports": 0}
# How popular a category is (share of rounds before a player's own favourite).
_POPULARITY = {"slots": 6.0, "live": 2.0, "table": 1.0, "crash": 1.0, "sports": 1.5}
# Return to player, in ten-thousandths, per category: slots keep 3.5-6%, live and table
# games 1.5-3% (roulette 2.7%), crash 3-4%, and the sportsbook's margin is 5-7%.
_RTP_RANGE = {
    "slots": (9_400, 9_650),
    "live": (9_700, 9_850),
    "table": (9_730, 9_860),
    "crash": (9_600, 9_700),
    "sports": (9_300, 9_500),
}
# Chance that a round wins anything; even-money games win about rtp / 2 at 2x.
_WIN_CHANCE = {"slots": 0.40, "crash": 0.45, "sports": 0.45}
# Round length: fixed seconds + uniform extra seconds (sports settle when the event ends).
_DURATION_SECONDS = {
    "slots": (1.5, 4.5),
    "live": (25.0, 45.0),
    "table": (15.0, 30.0),
    "crash": (3.0, 22.0),
    "sports": (3_600.0, 47 * 3_600.0),
}
# How much a round's stake differs from the player's usual one, by category.
STAKE_FACTOR = {"slots": 0.6, "live": 1.6, "table": 1.3, "crash": 0.8, "sports": 2.0}


@dataclass(frozen=True)
class Catalogue:
    table: pa.Table
    game_ids: list[str]
    providers: list[str]
    provider_of_game: np.ndarray
    category: np.ndarray  # index into CATEGORIES
    rtp_units: np.ndarray  # rtp in ten-thousandths
    jackpot: np.ndarray  # bool: contributes to a progressive jackpot
    popularity: np.ndarray
    win_chance: np.ndarray  # per game: chance that a round wins anything
    win_scale: np.ndarray  # per game: mean winning multiple (rtp / win chance)
    win_shape: np.ndarray  # per game: 0 exponential spread, 1 fixed (even money), 2 uniform
    stake_factor: np.ndarray  # per game: stake relative to the player's usual one
    duration_base_us: np.ndarray  # per game: shortest round
    duration_span_us: np.ndarray  # per game: uniform extra length


def make_games(rng: np.random.Generator, period: Period) -> Catalogue:
    count = len(_CATALOGUE)
    providers = sorted({provider for provider, *_ in _CATALOGUE})
    provider_of_game = np.array([providers.index(p) for p, *_ in _CATALOGUE])
    category = np.array([CATEGORIES.index(c) for _, c, *_ in _CATALOGUE])
    names = [CATEGORIES[c] for c in category]
    per_provider = np.zeros(len(providers), dtype=int)
    game_ids = []
    for provider in provider_of_game:
        per_provider[provider] += 1
        game_ids.append(f"{providers[provider]}-{per_provider[provider]:03d}")
    low = np.array([_RTP_RANGE[name][0] for name in names])
    high = np.array([_RTP_RANGE[name][1] for name in names])
    rtp_units = rng.integers(low, high + 1)
    contribution = np.array([_BONUS_CONTRIBUTION[name] for name in names])
    popularity = np.array([_POPULARITY[name] for name in names])
    popularity = popularity * rng.lognormal(0.0, 0.6, count)
    rtp = rtp_units / 10_000
    win_chance = np.array([_WIN_CHANCE.get(name, 0.0) for name in names])
    even_money = win_chance == 0
    win_chance = np.where(even_money, rtp / 2.0, win_chance)
    win_shape = np.select([even_money, category == CATEGORIES.index("sports")], [1, 2], default=0)
    duration = np.array([_DURATION_SECONDS[name] for name in names]) * US_PER_SECOND

    # Two games get a second version during the period: their bonus contribution changed.
    changed = np.flatnonzero(category == 0)[:2]
    rows = np.concatenate([np.arange(count), changed])
    row_contribution = np.concatenate([contribution, contribution[changed] // 2])
    updated_us = np.concatenate(
        [
            period.start_us + rng.integers(0, US_PER_HOUR, count),
            rng.integers(period.start_us + US_PER_DAY, period.end_us, len(changed)),
        ]
    )
    games = table(
        "games.games",
        {
            "game_id": labels(game_ids, rows),
            "provider": labels(providers, provider_of_game[rows]),
            "name": labels([name for _, _, name, _ in _CATALOGUE], rows),
            "category": labels(CATEGORIES, category[rows]),
            "rtp": money(rtp_units[rows]),
            "bonus_contribution": money(row_contribution),
            "updated_at": timestamps(updated_us),
        },
    )
    return Catalogue(
        table=games,
        game_ids=game_ids,
        providers=providers,
        provider_of_game=provider_of_game,
        category=category,
        rtp_units=rtp_units,
        jackpot=np.array([jackpot for *_, jackpot in _CATALOGUE]),
        popularity=popularity,
        win_chance=win_chance.astype(np.float32),
        win_scale=(rtp / win_chance).astype(np.float32),
        win_shape=win_shape.astype(np.int8),
        stake_factor=np.array([STAKE_FACTOR[name] for name in names], dtype=np.float32),
        duration_base_us=duration[:, 0].astype(np.int64),
        duration_span_us=(duration[:, 1]).astype(np.float32),
    )


def round_durations(rng: np.random.Generator, catalogue: Catalogue, game: np.ndarray) -> np.ndarray:
    """Microseconds from a round's start to its settlement."""
    extra = catalogue.duration_span_us[game] * rng.random(len(game), dtype=np.float32)
    return catalogue.duration_base_us[game] + extra.astype(np.int64)


def win_multipliers(rng: np.random.Generator, catalogue: Catalogue, game: np.ndarray) -> np.ndarray:
    """Win as a multiple of the stake (0 for a lost round), mean the game's rtp.

    One uniform draw decides both whether the round wins and, rescaled, how much: given a
    win, u / chance is again uniform, so -log(1 - u / chance) is an exponential spread.
    """
    chance = catalogue.win_chance[game]
    draw = rng.random(len(game), dtype=np.float32)
    won = draw < chance
    within = np.minimum(draw / chance, np.float32(0.999999))
    shape = catalogue.win_shape[game]
    spread = np.where(
        shape == 0,
        -np.log1p(-within),
        np.where(shape == 1, np.float32(1.0), np.float32(0.5) + within),
    )
    return np.where(won, catalogue.win_scale[game] * spread, np.float32(0.0))
