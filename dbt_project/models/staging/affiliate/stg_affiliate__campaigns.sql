-- Current version of each campaign record (business-rules §2: highest updated_at, then
-- the latest landing), taken from its version history.
{{ current_of_versions(
    ref("stg_affiliate__campaigns_versions"),
    [
        "campaign_id", "affiliate_id", "brand_id", "name", "traffic_source",
        "created_at", "updated_at"
    ]
) }}
