"""The game aggregator's catalogue: 24 games from 4 providers, and how each category plays.

How a category plays (win chance, payout shape, round length) is what makes the house
edge of the generated rounds come out near 1 - rtp.
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
    ("kestrel", "slots", "Kestrel Quest", True),
    ("kestrel", "slots", "Sky Falcon Deluxe", False),
    ("kestrel", "slots", "Book of Tides", False),
    ("kestrel", "slots", "Fruit Storm 10K", False),
    ("kestrel", "crash", "Rocket Rush", False),
    ("kestrel", "crash", "Plinko Peak", False),
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


def make_games(rng: np.random.Generator, period: Period) -> Catalogue:
    count = len(_CATALOGUE)
    providers = sorted({provider for provider, *_ in _CATALOGUE})
    provider_of_game = np.array([providers.index(p) for p, *_ in _CATALOGUE])
    category = np.array([CATEGORIES.index(c) for _, c, *_ in _CATALOGUE])
    per_provider = np.zeros(len(providers), dtype=int)
    game_ids = []
    for provider in provider_of_game:
        per_provider[provider] += 1
        game_ids.append(f"{providers[provider]}-{per_provider[provider]:03d}")
    rtp_units = rng.integers(9_400, 9_801, count)
    contribution = np.array([_BONUS_CONTRIBUTION[CATEGORIES[c]] for c in category])
    popularity = np.array([_POPULARITY[CATEGORIES[c]] for c in category])
    popularity = popularity * rng.lognormal(0.0, 0.6, count)

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
    )


def round_durations(rng: np.random.Generator, category: np.ndarray) -> np.ndarray:
    """Microseconds from a round's start to its settlement, by category."""
    size = len(category)
    seconds = np.select(
        [category == 0, category == 1, category == 2, category == 3],
        [
            rng.uniform(1.5, 6.0, size),  # slots spin
            rng.uniform(25.0, 70.0, size),  # live dealer round
            rng.uniform(15.0, 45.0, size),  # RNG table hand
            rng.uniform(3.0, 25.0, size),  # crash flight
        ],
        # sports: settles when the event ends, often hours later, sometimes the next day
        default=rng.uniform(1.0, 48.0, size) * 3600.0,
    )
    return (seconds * US_PER_SECOND).astype(np.int64)


def win_multipliers(rng: np.random.Generator, category: np.ndarray, rtp: np.ndarray) -> np.ndarray:
    """Win as a multiple of the stake; 0 for a lost round; mean close to the game's rtp."""
    size = len(category)
    # Even-money games (live, table) win about half the time at 2x; the others win less
    # often with a spread of payouts whose mean keeps the expected return at rtp.
    win_chance = np.select(
        [category == 0, category == 3, category == 4], [0.28, 0.45, 0.42], default=rtp / 2.0
    )
    spread = np.select(
        [category == 0, category == 3, category == 4],
        [rng.exponential(1.0, size), rng.exponential(1.0, size), rng.gamma(4.0, 0.25, size)],
        default=1.0,
    )
    won = rng.random(size) < win_chance
    return np.where(won, rtp / win_chance * spread, 0.0)
