-- Each player's first counted deposit (rules §2, §5): the earliest deposit whose current
-- status is approved (a reversed deposit stops being anyone's first deposit).
with

deposits as (
    select
        transaction_id,
        player_id,
        amount,
        currency,
        processed_at,
        row_number() over (
            partition by player_id order by processed_at, transaction_id
        ) as deposit_rank
    from {{ ref('stg_payments__transactions') }}
    where kind = 'deposit' and status = 'approved'
),

persons as (
    select
        player_id,
        is_duplicate_account
    from {{ ref('int_identity__persons') }}
),

final as (
    select
        deposits.player_id,
        deposits.transaction_id as first_deposit_transaction_id,
        deposits.processed_at as first_deposited_at,
        {{ utc_date('deposits.processed_at') }} as first_deposit_date,
        {{ month_start('deposits.processed_at') }} as first_deposit_month,
        deposits.amount as first_deposit_amount,
        deposits.currency as first_deposit_currency,
        not coalesce(persons.is_duplicate_account, false) as is_ndc
    from deposits
    left join persons on deposits.player_id = persons.player_id
    where deposits.deposit_rank = 1
)

select * from final
