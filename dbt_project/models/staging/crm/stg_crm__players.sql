-- Current version of each player record (business-rules §2: highest updated_at, then
-- the latest landing), taken from its version history.
{{ current_of_versions(
    ref("stg_crm__players_versions"),
    [
        "player_id", "brand_id", "registered_at", "email", "date_of_birth", "country",
        "currency", "click_id", "device_id", "registration_ip", "kyc_status",
        "marketing_consent", "updated_at"
    ]
) }}
