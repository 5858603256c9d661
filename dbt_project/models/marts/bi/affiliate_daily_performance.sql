-- One row per affiliate, campaign and UTC day: the funnel and the money an affiliate's
-- traffic brought (business-rules §4, §5). Players count under their payout attribution;
-- organic players have no affiliate and are not listed. GGR and NGR leave out the days a
-- player was fraud-flagged (§5); NGR is before the deal's admin fee, which applies monthly.
with

daily_clicks as (
    select * from {{ ref('int_performance__daily_clicks') }}
),

attribution as (
    select
        player_id,
        affiliate_id,
        campaign_id,
        registered_at
    from {{ ref('int_attribution__payout') }}
    where affiliate_id is not null
),

first_deposits as (
    select * from {{ ref('int_players__first_deposits') }}
    where is_ndc
),

first_deposit_amounts as (
    select
        transaction_id,
        amount_base
    from {{ ref('int_revenue__counted_transactions') }}
    where movement = 'counted'
),

affiliate_days as (
    select * from {{ ref('int_revenue__affiliate_player_daily') }}
),

registrations as (
    select
        affiliate_id,
        campaign_id,
        {{ utc_date('registered_at') }} as activity_date,
        count(*) as registrations
    from attribution
    group by affiliate_id, campaign_id, {{ utc_date('registered_at') }}
),

ftds as (
    select
        attribution.affiliate_id,
        attribution.campaign_id,
        first_deposits.first_deposit_date as activity_date,
        count(*) as ftd_count,
        -- An unconvertible first deposit counts as an FTD; its amount is held back (§1).
        sum(first_deposit_amounts.amount_base) as ftd_amount
    from first_deposits
    inner join attribution on first_deposits.player_id = attribution.player_id
    left join first_deposit_amounts
        on first_deposits.first_deposit_transaction_id = first_deposit_amounts.transaction_id
    group by attribution.affiliate_id, attribution.campaign_id, first_deposits.first_deposit_date
),

player_days as (
    select
        affiliate_id,
        campaign_id,
        activity_date,
        deposits,
        case when is_fraud_excluded then 0 else ggr end as ggr,
        case when is_fraud_excluded then 0 else ngr end as ngr
    from affiliate_days
),

revenue as (
    select
        affiliate_id,
        campaign_id,
        activity_date,
        sum(deposits) as deposits,
        sum(ggr) as ggr,
        sum(ngr) as ngr
    from player_days
    group by affiliate_id, campaign_id, activity_date
),

keys as (
    select
        affiliate_id,
        campaign_id,
        click_date as activity_date
    from daily_clicks
    union
    select
        affiliate_id,
        campaign_id,
        activity_date
    from registrations
    union
    select
        affiliate_id,
        campaign_id,
        activity_date
    from ftds
    union
    select
        affiliate_id,
        campaign_id,
        activity_date
    from revenue
),

final as (
    select
        keys.affiliate_id,
        keys.campaign_id,
        keys.activity_date,
        cast(coalesce(daily_clicks.clicks, 0) as integer) as clicks,
        cast(coalesce(registrations.registrations, 0) as integer) as registrations,
        cast(coalesce(ftds.ftd_count, 0) as integer) as ftd_count,
        cast(coalesce(ftds.ftd_amount, 0) as {{ type_money() }}) as ftd_amount,
        cast(coalesce(revenue.deposits, 0) as {{ type_money() }}) as deposits,
        cast(coalesce(revenue.ggr, 0) as {{ type_money() }}) as ggr,
        cast(coalesce(revenue.ngr, 0) as {{ type_money() }}) as ngr
    from keys
    left join daily_clicks
        on
            keys.affiliate_id = daily_clicks.affiliate_id
            and keys.campaign_id = daily_clicks.campaign_id
            and keys.activity_date = daily_clicks.click_date
    left join registrations
        on
            keys.affiliate_id = registrations.affiliate_id
            and keys.campaign_id = registrations.campaign_id
            and keys.activity_date = registrations.activity_date
    left join ftds
        on
            keys.affiliate_id = ftds.affiliate_id
            and keys.campaign_id = ftds.campaign_id
            and keys.activity_date = ftds.activity_date
    left join revenue
        on
            keys.affiliate_id = revenue.affiliate_id
            and keys.campaign_id = revenue.campaign_id
            and keys.activity_date = revenue.activity_date
)

select * from final
