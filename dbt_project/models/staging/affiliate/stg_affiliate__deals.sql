-- Current version of each deal record (business-rules §2: highest updated_at, then
-- the latest landing), taken from its version history.
{{ current_of_versions(
    ref("stg_affiliate__deals_versions"),
    [
        "deal_id", "affiliate_id", "brand_id", "valid_from", "valid_to", "plan_type",
        "cpa_amount", "cpa_currency", "cpa_min_first_deposit", "cpa_min_wagered",
        "cpa_window_days", "cpa_requires_kyc", "revshare_tiers", "tier_basis",
        "tier_method", "negative_carryover", "admin_fee_rate", "sub_affiliate_rate",
        "clawback_days", "min_payout", "updated_at"
    ]
) }}
