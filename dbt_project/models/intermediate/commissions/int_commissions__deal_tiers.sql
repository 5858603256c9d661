-- Revenue-share tiers, one row per deal and tier, each with the threshold where the next
-- tier starts (null for the top tier).
with

deals as (
    select
        deal_id,
        revshare_tiers
    from {{ ref('stg_affiliate__deals') }}
    where revshare_tiers is not null
),

tiers as (
    select
        exploded.deal_id,
        tier.threshold,
        tier.rate
    from (
        select
            deal_id,
            {{ explode_array('revshare_tiers') }} as tier
        from deals
    ) as exploded
),

final as (
    select
        deal_id,
        row_number() over (partition by deal_id order by threshold) as tier_number,
        threshold,
        lead(threshold) over (partition by deal_id order by threshold) as next_threshold,
        rate
    from tiers
)

select * from final
