-- Bonus cost (rules §5): bonus money converted to withdrawable real money, on the day it
-- was converted, at that day's rate.
with

conversions as (
    select
        bonus_txn_id,
        player_id,
        bonus_code,
        amount,
        currency,
        {{ utc_date('occurred_at') }} as activity_date,
        _batch_id,
        _source
    from {{ ref('stg_crm__bonuses') }}
    where kind = 'converted'
),

rates as (
    select * from {{ ref('int_fx__daily_rates') }}
),

final as (
    select
        conversions.bonus_txn_id,
        conversions.player_id,
        conversions.bonus_code,
        conversions.activity_date,
        conversions.currency,
        conversions.amount,
        {{ rate_to_base('conversions.currency', 'rates') }} as rate_to_base,
        cast(
            conversions.amount * {{ rate_to_base('conversions.currency', 'rates') }}
            as {{ type_money() }}
        ) as amount_base,
        conversions._batch_id,
        conversions._source
    from conversions
    left join rates
        on conversions.currency = rates.currency and conversions.activity_date = rates.rate_day
)

select * from final
