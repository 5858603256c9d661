-- Current version of each transaction (rules §2), kept incrementally: pending, then approved,
-- then perhaps reversed; the highest updated_at wins, then the latest landing.
{{
    config(
        materialized="incremental",
        unique_key="transaction_id",
        on_schema_change="fail",
    )
}}

{{ incremental_current_version(
    source("payments", "transactions"),
    ["transaction_id"],
    [
        "transaction_id", "player_id", "kind", "status", "amount", "fee_amount",
        "currency", "method", "psp", "original_transaction_id", "created_at",
        "processed_at", "updated_at"
    ],
    "updated_at"
) }}
