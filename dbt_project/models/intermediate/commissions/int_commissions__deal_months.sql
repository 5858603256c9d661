-- Each revenue-share deal's month before carryover (rules §5, §7): the affiliate NGR of the
-- deal's players (their NGR − admin_fee_rate × their GGR where that sum is positive) and
-- the month's NDC count, for every month the deal applies to activity or NDCs.
with

applicable_deals as (
    select * from {{ ref('int_commissions__applicable_deals') }}
    where plan_type in ('revshare', 'hybrid')
),

player_monthly as (
    select * from {{ ref('int_commissions__player_monthly') }}
),

first_deposits as (
    select * from {{ ref('int_players__first_deposits') }}
    where is_ndc
),

attribution as (
    select
        player_id,
        brand_id,
        affiliate_id
    from {{ ref('int_attribution__payout') }}
    where affiliate_id is not null
),

deal_revenue as (
    select
        applicable_deals.deal_id,
        applicable_deals.period_month,
        sum(player_monthly.ngr) as players_ngr,
        sum(player_monthly.ggr) as players_ggr,
        count(*) as active_players
    from player_monthly
    inner join applicable_deals
        on
            player_monthly.affiliate_id = applicable_deals.affiliate_id
            and player_monthly.brand_id = applicable_deals.brand_id
            and player_monthly.period_month = applicable_deals.period_month
    group by applicable_deals.deal_id, applicable_deals.period_month
),

deal_ndcs as (
    select
        applicable_deals.deal_id,
        applicable_deals.period_month,
        count(*) as ndc_count
    from first_deposits
    inner join attribution on first_deposits.player_id = attribution.player_id
    inner join applicable_deals
        on
            attribution.affiliate_id = applicable_deals.affiliate_id
            and attribution.brand_id = applicable_deals.brand_id
            and first_deposits.first_deposit_month = applicable_deals.period_month
    group by applicable_deals.deal_id, applicable_deals.period_month
),

deal_months as (
    select distinct
        deal_id,
        affiliate_id,
        period_month,
        tier_basis,
        tier_method,
        negative_carryover,
        admin_fee_rate
    from applicable_deals
),

final as (
    select
        deal_months.deal_id,
        deal_months.affiliate_id,
        deal_months.period_month,
        deal_months.tier_basis,
        deal_months.tier_method,
        deal_months.negative_carryover,
        deal_months.admin_fee_rate,
        cast(coalesce(deal_revenue.players_ngr, 0) as {{ type_money() }}) as players_ngr,
        cast(coalesce(deal_revenue.players_ggr, 0) as {{ type_money() }}) as players_ggr,
        cast(
            deal_months.admin_fee_rate
            * case when deal_revenue.players_ggr > 0 then deal_revenue.players_ggr else 0 end
            as {{ type_money() }}
        ) as admin_fee,
        cast(
            coalesce(deal_revenue.players_ngr, 0)
            - deal_months.admin_fee_rate
            * case when deal_revenue.players_ggr > 0 then deal_revenue.players_ggr else 0 end
            as {{ type_money() }}
        ) as affiliate_ngr,
        cast(coalesce(deal_ndcs.ndc_count, 0) as integer) as ndc_count,
        cast(coalesce(deal_revenue.active_players, 0) as integer) as active_players
    from deal_months
    left join deal_revenue
        on
            deal_months.deal_id = deal_revenue.deal_id
            and deal_months.period_month = deal_revenue.period_month
    left join deal_ndcs
        on
            deal_months.deal_id = deal_ndcs.deal_id
            and deal_months.period_month = deal_ndcs.period_month
    where deal_revenue.deal_id is not null or deal_ndcs.deal_id is not null
)

select * from final
