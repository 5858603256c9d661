-- Current version of each player record (business-rules §2: highest updated_at, then
-- the latest landing), taken from its version history: pseudonyms and an age band, no
-- clear PII (§12).
{{ current_of_versions(
    ref("stg_crm__players_versions"),
    [
        "player_id", "brand_id", "registered_at", "email_pseudonym", "age_band", "country",
        "currency", "click_id", "device_id", "registration_ip_pseudonym", "kyc_status",
        "marketing_consent", "updated_at"
    ]
) }}
