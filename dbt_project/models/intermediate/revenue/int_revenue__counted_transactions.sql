-- Counted money movements (rules §2): an approved transaction counts on its processed_at
-- day; a reversed one counts there too and is offset by an equal negative movement (fee
-- included) on the day of its reversal (updated_at), both at the processed_at day's rate.
with

transactions as (
    select
        transaction_id,
        player_id,
        kind,
        status,
        amount,
        fee_amount,
        currency,
        psp,
        original_transaction_id,
        {{ utc_date('coalesce(processed_at, updated_at)') }} as processed_date,
        {{ utc_date('updated_at') }} as updated_date,
        _batch_id,
        _source
    from {{ ref('stg_payments__transactions') }}
    where status in ('approved', 'reversed')
),

movements as (
    select
        transactions.*,
        'counted' as movement,
        transactions.processed_date as activity_date,
        1 as direction
    from transactions
    union all
    select
        transactions.*,
        'reversal' as movement,
        transactions.updated_date as activity_date,
        -1 as direction
    from transactions
    where transactions.status = 'reversed'
),

rates as (
    select * from {{ ref('int_fx__daily_rates') }}
),

with_rates as (
    select
        movements.*,
        {{ rate_to_base('movements.currency', 'rates') }} as rate_to_base
    from movements
    left join rates
        on movements.currency = rates.currency and movements.processed_date = rates.rate_day
),

final as (
    select
        transaction_id,
        movement,
        player_id,
        kind,
        status,
        psp,
        original_transaction_id,
        activity_date,
        processed_date,
        currency,
        direction * amount as amount,
        direction * fee_amount as fee_amount,
        rate_to_base,
        cast(direction * amount * rate_to_base as {{ type_money() }}) as amount_base,
        cast(direction * fee_amount * rate_to_base as {{ type_money() }}) as fee_amount_base,
        _batch_id,
        _source
    from with_rates
)

select * from final
