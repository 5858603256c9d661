-- Current version of each round (rules §2), kept incrementally: the highest updated_at wins,
-- then the latest landing; a round re-sent as cancelled replaces its settled version.
{{
    config(
        materialized="incremental",
        unique_key="round_id",
        on_schema_change="fail",
    )
}}

{{ incremental_current_version(
    source("games", "rounds"),
    ["round_id"],
    [
        "round_id", "player_id", "game_id", "started_at", "settled_at", "currency",
        "stake_real", "stake_bonus", "win_real", "win_bonus", "jackpot_contribution",
        "status", "updated_at"
    ],
    "updated_at"
) }}
