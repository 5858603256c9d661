-- Amounts held back from every figure because no rate was usable on their day (rules §1).
-- They re-enter as soon as a rate lands.
with

rounds as (
    select
        'games.rounds' as entity,
        round_id as record_id,
        player_id,
        activity_date,
        currency,
        stake_real as amount,
        _batch_id,
        _source
    from {{ ref('int_revenue__counted_rounds') }}
    where is_counted and rate_to_base is null
),

transactions as (
    select
        'payments.transactions' as entity,
        transaction_id as record_id,
        player_id,
        processed_date as activity_date,
        currency,
        amount,
        _batch_id,
        _source
    from {{ ref('int_revenue__counted_transactions') }}
    where is_counted and rate_to_base is null and movement = 'counted'
),

bonuses as (
    select
        'crm.bonuses' as entity,
        bonus_txn_id as record_id,
        player_id,
        activity_date,
        currency,
        amount,
        _batch_id,
        _source
    from {{ ref('int_revenue__counted_bonus_conversions') }}
    where is_counted and rate_to_base is null
),

final as (
    select * from rounds
    union all
    select * from transactions
    union all
    select * from bonuses
)

select * from final
