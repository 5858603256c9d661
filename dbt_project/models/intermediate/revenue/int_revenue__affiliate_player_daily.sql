-- Attributed players' revenue per day as their affiliate counts it (rules §5): each
-- player-day of int_revenue__player_daily with the payout attribution, and
-- `is_fraud_excluded` on the days from a fraud flag up to the day before its clearing,
-- which affiliate GGR and NGR leave out. Organic players have no affiliate: not listed.
with

daily as (
    select * from {{ ref('int_revenue__player_daily') }}
),

attribution as (
    select
        player_id,
        brand_id,
        affiliate_id,
        campaign_id
    from {{ ref('int_attribution__payout') }}
    where affiliate_id is not null
),

fraud_periods as (
    select * from {{ ref('int_players__fraud_periods') }}
),

fraud_excluded_days as (
    select distinct
        daily.player_id,
        daily.activity_date
    from daily
    inner join fraud_periods
        on
            daily.player_id = fraud_periods.player_id
            and daily.activity_date >= fraud_periods.excluded_from
            and (
                fraud_periods.excluded_until is null
                or daily.activity_date < fraud_periods.excluded_until
            )
),

final as (
    select
        daily.player_id,
        daily.activity_date,
        attribution.affiliate_id,
        attribution.campaign_id,
        attribution.brand_id,
        daily.ggr,
        daily.ngr,
        daily.deposits,
        fraud_excluded_days.player_id is not null as is_fraud_excluded
    from daily
    inner join attribution on daily.player_id = attribution.player_id
    left join fraud_excluded_days
        on
            daily.player_id = fraud_excluded_days.player_id
            and daily.activity_date = fraud_excluded_days.activity_date
)

select * from final
