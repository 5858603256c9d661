-- Current version of each deal record (highest updated_at, then latest landing).
with

landed as (
    {{ current_version(source('affiliate', 'deals'), ['deal_id'], 'updated_at') }}
),

final as (
    select
        deal_id,
        affiliate_id,
        brand_id,
        valid_from,
        valid_to,
        plan_type,
        cpa_amount,
        cpa_currency,
        cpa_min_first_deposit,
        cpa_min_wagered,
        cpa_window_days,
        cpa_requires_kyc,
        revshare_tiers,
        tier_basis,
        tier_method,
        negative_carryover,
        admin_fee_rate,
        sub_affiliate_rate,
        clawback_days,
        min_payout,
        updated_at,
        _batch_id,
        _ingested_at,
        _source,
        cast(ingest_date as date) as _ingest_date
    from landed
    where version_rank = 1
)

select * from final
