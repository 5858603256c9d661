-- The deal that applies to each affiliate, brand and month (rules §6): the brand's deal,
-- else the all-brands deal, valid on the month's last day; ties go to the latest
-- valid_from, then the highest deal_id.
with

deals as (
    select * from {{ ref('stg_affiliate__deals') }}
),

affiliates as (
    select affiliate_id from {{ ref('stg_affiliate__affiliates') }}
),

brands as (
    select distinct brand_id from {{ ref('stg_crm__players') }}
),

months as (
    select distinct {{ month_start('activity_date') }} as period_month
    from {{ ref('int_revenue__player_daily') }}
),

candidates as (
    select
        affiliates.affiliate_id,
        brands.brand_id,
        months.period_month,
        deals.deal_id,
        deals.brand_id as deal_brand_id,
        row_number() over (
            partition by affiliates.affiliate_id, brands.brand_id, months.period_month
            order by
                case when deals.brand_id is not null then 0 else 1 end,
                deals.valid_from desc,
                deals.deal_id desc
        ) as preference
    from affiliates
    cross join brands
    cross join months
    inner join deals
        on
            affiliates.affiliate_id = deals.affiliate_id
            and (brands.brand_id = deals.brand_id or deals.brand_id is null)
            and deals.valid_from <= {{ month_end('months.period_month') }}
            and (
                deals.valid_to is null
                or deals.valid_to >= {{ month_end('months.period_month') }}
            )
),

final as (
    select
        candidates.affiliate_id,
        candidates.brand_id,
        candidates.period_month,
        candidates.deal_id,
        candidates.deal_brand_id is null as is_all_brands_deal,
        deals.plan_type,
        deals.tier_basis,
        coalesce(deals.tier_method, 'tiered') as tier_method,
        deals.negative_carryover,
        deals.admin_fee_rate,
        deals.sub_affiliate_rate,
        deals.clawback_days,
        deals.min_payout
    from candidates
    inner join deals on candidates.deal_id = deals.deal_id
    where candidates.preference = 1
)

select * from final
