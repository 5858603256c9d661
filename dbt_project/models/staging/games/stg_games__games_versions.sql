-- Every version of each game record (business-rules §2): one row per game_id and
-- updated_at. Identical re-deliveries and re-landings of a version count once: the latest
-- landing is kept (latest _ingested_at, then highest _batch_id). A version is valid from
-- its updated_at up to, not including, the next version's; the current one has no end.
-- The only model that reads the landed games: stg_games__games (current version)
-- and the type-2 dimensions select from here.
{{ record_versions(
    source("games", "games"),
    ["game_id"],
    [
        "game_id", "provider", "name", "category", "rtp", "bonus_contribution",
        "updated_at"
    ]
) }}
