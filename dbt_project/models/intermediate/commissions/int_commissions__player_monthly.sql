-- Each attributed player's GGR and NGR per month as its affiliate counts them (rules §5):
-- fraud-excluded days left out. The grain joins to the deal that applies.
with

daily as (
    select * from {{ ref('int_revenue__player_daily') }}
),

attribution as (
    select
        player_id,
        brand_id,
        affiliate_id
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

counted_days as (
    select daily.*
    from daily
    left join fraud_excluded_days
        on
            daily.player_id = fraud_excluded_days.player_id
            and daily.activity_date = fraud_excluded_days.activity_date
    where fraud_excluded_days.player_id is null
),

final as (
    select
        attribution.affiliate_id,
        attribution.brand_id,
        counted_days.player_id,
        {{ month_start('counted_days.activity_date') }} as period_month,
        sum(counted_days.ggr) as ggr,
        sum(counted_days.ngr) as ngr
    from counted_days
    inner join attribution on counted_days.player_id = attribution.player_id
    group by 1, 2, 3, 4
)

select * from final
