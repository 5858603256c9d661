-- Current version of each game record (business-rules §2: highest updated_at, then
-- the latest landing), taken from its version history.
{{ current_of_versions(
    ref("stg_games__games_versions"),
    [
        "game_id", "provider", "name", "category", "rtp", "bonus_contribution",
        "updated_at"
    ]
) }}
