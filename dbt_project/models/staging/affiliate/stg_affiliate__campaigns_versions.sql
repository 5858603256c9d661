-- Every version of each campaign record (business-rules §2): one row per campaign_id and
-- updated_at. Identical re-deliveries and re-landings of a version count once: the latest
-- landing is kept (latest _ingested_at, then highest _batch_id). A version is valid from
-- its updated_at up to, not including, the next version's; the current one has no end.
-- The only model that reads the landed campaigns: stg_affiliate__campaigns (current version)
-- and the type-2 dimensions select from here.
{{ record_versions(
    source("affiliate", "campaigns"),
    ["campaign_id"],
    [
        "campaign_id", "affiliate_id", "brand_id", "name", "traffic_source",
        "created_at", "updated_at"
    ]
) }}
