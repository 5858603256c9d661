-- Revenue share per deal and month (rules §5, §7): the deal's players' NGR less the admin
-- fee on their positive GGR, the tier picked by NGR or NDC count, tiered or ladder.
-- Negative carryover is not applied yet: a negative base earns nothing.
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

tiers as (
    select * from {{ ref('int_commissions__deal_tiers') }}
),

deal_revenue as (
    select
        applicable_deals.deal_id,
        applicable_deals.affiliate_id,
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
    group by applicable_deals.deal_id, applicable_deals.affiliate_id, applicable_deals.period_month
),

deal_ndcs as (
    select
        applicable_deals.deal_id,
        applicable_deals.affiliate_id,
        applicable_deals.period_month,
        count(*) as ndc_count
    from first_deposits
    inner join attribution on first_deposits.player_id = attribution.player_id
    inner join applicable_deals
        on
            attribution.affiliate_id = applicable_deals.affiliate_id
            and attribution.brand_id = applicable_deals.brand_id
            and first_deposits.first_deposit_month = applicable_deals.period_month
    group by applicable_deals.deal_id, applicable_deals.affiliate_id, applicable_deals.period_month
),

deal_months as (
    select distinct
        applicable_deals.deal_id,
        applicable_deals.affiliate_id,
        applicable_deals.period_month,
        applicable_deals.tier_basis,
        applicable_deals.tier_method,
        applicable_deals.admin_fee_rate
    from applicable_deals
    where exists (
        select 1 from deal_revenue
        where
            deal_revenue.deal_id = applicable_deals.deal_id
            and deal_revenue.period_month = applicable_deals.period_month
    ) or exists (
        select 1 from deal_ndcs
        where
            deal_ndcs.deal_id = applicable_deals.deal_id
            and deal_ndcs.period_month = applicable_deals.period_month
    )
),

bases as (
    select
        deal_months.*,
        coalesce(deal_revenue.players_ngr, 0) as players_ngr,
        coalesce(deal_revenue.players_ggr, 0) as players_ggr,
        coalesce(deal_ndcs.ndc_count, 0) as ndc_count,
        cast(
            coalesce(deal_revenue.players_ngr, 0)
            - deal_months.admin_fee_rate
            * case when deal_revenue.players_ggr > 0 then deal_revenue.players_ggr else 0 end
            as {{ type_money() }}
        ) as affiliate_ngr
    from deal_months
    left join deal_revenue
        on
            deal_months.deal_id = deal_revenue.deal_id
            and deal_months.period_month = deal_revenue.period_month
    left join deal_ndcs
        on
            deal_months.deal_id = deal_ndcs.deal_id
            and deal_months.period_month = deal_ndcs.period_month
),

tier_reached as (
    select
        bases.deal_id,
        bases.period_month,
        max(tiers.tier_number) as tier_number,
        sum(
            case
                when bases.affiliate_ngr > tiers.threshold
                    then tiers.rate * (
                        case
                            when
                                tiers.next_threshold is not null
                                and tiers.next_threshold < bases.affiliate_ngr
                                then tiers.next_threshold
                            else bases.affiliate_ngr
                        end - tiers.threshold
                    )
                else 0
            end
        ) as ladder_amount
    from bases
    inner join tiers on bases.deal_id = tiers.deal_id
    where
        tiers.threshold
        <= case when bases.tier_basis = 'ndc' then bases.ndc_count else bases.affiliate_ngr end
        or tiers.tier_number = 1
    group by bases.deal_id, bases.period_month
),

amounts as (
    select
        bases.*,
        tier_reached.tier_number,
        tiers.rate as tier_rate,
        case
            when bases.affiliate_ngr <= 0 then 0
            when bases.tier_method = 'ladder' then tier_reached.ladder_amount
            else bases.affiliate_ngr * tiers.rate
        end as revshare_amount_exact
    from bases
    inner join tier_reached
        on
            bases.deal_id = tier_reached.deal_id
            and bases.period_month = tier_reached.period_month
    inner join tiers
        on
            tier_reached.deal_id = tiers.deal_id
            and tier_reached.tier_number = tiers.tier_number
),

final as (
    select
        deal_id,
        affiliate_id,
        period_month,
        tier_basis,
        tier_method,
        admin_fee_rate,
        players_ngr,
        players_ggr,
        ndc_count,
        affiliate_ngr,
        affiliate_ngr as revshare_base,
        tier_number,
        tier_rate,
        cast(revshare_amount_exact as {{ type_money() }}) as revshare_amount_exact,
        case
            when affiliate_ngr > 0 then cast(revshare_amount_exact / affiliate_ngr as decimal(18, 6))
        end as applied_rate
    from amounts
)

select * from final
