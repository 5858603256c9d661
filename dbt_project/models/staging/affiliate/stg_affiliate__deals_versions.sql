-- Every version of each deal record (business-rules §2): one row per deal_id and
-- updated_at. Identical re-deliveries and re-landings of a version count once: the latest
-- landing is kept (latest _ingested_at, then highest _batch_id). A version is valid from
-- its updated_at up to, not including, the next version's; the current one has no end.
-- The only model that reads the landed deals: stg_affiliate__deals (current version)
-- and the type-2 dimensions select from here.
{{ record_versions(
    source("affiliate", "deals"),
    ["deal_id"],
    [
        "deal_id", "affiliate_id", "brand_id", "valid_from", "valid_to", "plan_type",
        "cpa_amount", "cpa_currency", "cpa_min_first_deposit", "cpa_min_wagered",
        "cpa_window_days", "cpa_requires_kyc", "revshare_tiers", "tier_basis",
        "tier_method", "negative_carryover", "admin_fee_rate", "sub_affiliate_rate",
        "clawback_days", "min_payout", "updated_at"
    ]
) }}
