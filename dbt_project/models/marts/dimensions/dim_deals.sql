-- Type-2 dimension of deals (public, schema marts): one row per version of each deal
-- record (business-rules §2), valid from its updated_at up to the next version's. The
-- deal's own business validity (which months it covers, §6) is deal_valid_from /
-- deal_valid_to (dates, inclusive), not to be confused with the version validity.
with

versions as (
    select * from {{ ref('stg_affiliate__deals_versions') }}
),

final as (
    select
        {{ version_key('deal_id') }} as deal_version_key,
        deal_id,
        affiliate_id,
        brand_id,
        valid_from as deal_valid_from,
        valid_to as deal_valid_to,
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
        version_number,
        version_valid_from,
        version_valid_to,
        is_current_version
    from versions
)

select * from final
