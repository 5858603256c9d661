-- Every version of each player record (business-rules §2): one row per player_id and
-- updated_at. Identical re-deliveries and re-landings of a version count once: the latest
-- landing is kept (latest _ingested_at, then highest _batch_id). A version is valid from
-- its updated_at up to, not including, the next version's; the current one has no end.
-- The only model that reads the landed players: stg_crm__players (current version)
-- and the type-2 dimensions select from here.
{{ record_versions(
    source("crm", "players"),
    ["player_id"],
    [
        "player_id", "brand_id", "registered_at", "email", "date_of_birth", "country",
        "currency", "click_id", "device_id", "registration_ip", "kyc_status",
        "marketing_consent", "updated_at"
    ]
) }}
