-- Each attributed player's GGR and NGR per month as its affiliate counts it (rules §5):
-- fraud-excluded days left out. The grain joins to the deal that applies.
with

affiliate_days as (
    select * from {{ ref('int_revenue__affiliate_player_daily') }}
    where not is_fraud_excluded
),

final as (
    select
        affiliate_id,
        brand_id,
        player_id,
        {{ month_start('activity_date') }} as period_month,
        sum(ggr) as ggr,
        sum(ngr) as ngr
    from affiliate_days
    group by affiliate_id, brand_id, player_id, {{ month_start('activity_date') }}
)

select * from final
