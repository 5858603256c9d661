-- Current version of each bonus transaction (rules §2), kept incrementally.
{{
    config(
        materialized="incremental",
        unique_key="bonus_txn_id",
        on_schema_change="fail",
    )
}}

{{ incremental_current_version(
    source("crm", "bonuses"),
    ["bonus_txn_id"],
    [
        "bonus_txn_id", "player_id", "bonus_code", "kind", "amount", "currency",
        "occurred_at", "updated_at"
    ],
    "updated_at"
) }}
