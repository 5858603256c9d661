-- Money movements of every transaction's current version (rules §2): a `counted` movement on
-- its processed_at day (`is_counted` where the status is approved or reversed) and, for a
-- reversed one, a `reversal` movement of the negated amount and fee on the day of its
-- updated_at; both at the processed_at day's rate.
-- Incremental like int_revenue__counted_rounds: transactions whose version landed in the
-- window, or whose rate day changed, are reprocessed (all their movements replaced), and
-- `previous_activity_date` keeps the day each movement fell on before.
-- depends_on: {{ ref('int_fx__changed_rate_days') }}
{{
    config(
        materialized="incremental",
        unique_key="transaction_id",
        on_schema_change="fail",
    )
}}

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
        status in ('approved', 'reversed') as is_counted,
        {{ utc_date('coalesce(processed_at, updated_at)') }} as processed_date,
        {{ utc_date('updated_at') }} as updated_date,
        _ingest_date,
        _batch_id,
        _source
    from {{ ref('stg_payments__transactions') }}
),

{% if is_incremental() -%}
changed_rate_days as (
    select * from {{ ref('int_fx__changed_rate_days') }}
),
{%- endif %}

rates as (
    select * from {{ ref('int_fx__daily_rates') }}
),

reprocessed as (
    select * from transactions
    {{ where_reprocessed('transactions', 'processed_date') }}
),

movements as (
    select
        reprocessed.*,
        'counted' as movement,
        reprocessed.processed_date as activity_date,
        1 as direction
    from reprocessed
    union all
    select
        reprocessed.*,
        'reversal' as movement,
        reprocessed.updated_date as activity_date,
        -1 as direction
    from reprocessed
    where reprocessed.status = 'reversed'
),

previous as (
    {% if is_incremental() -%}
    select
        transaction_id,
        movement,
        activity_date as previous_activity_date
    from {{ this }}
    {%- else -%}
    select
        cast(null as {{ dbt.type_string() }}) as transaction_id,
        cast(null as {{ dbt.type_string() }}) as movement,
        cast(null as date) as previous_activity_date
    where 1 = 0
    {%- endif %}
),

with_rates as (
    select
        movements.*,
        {{ rate_to_base('movements.currency', 'rates') }} as rate_to_base,
        previous.previous_activity_date
    from movements
    left join rates
        on movements.currency = rates.currency and movements.processed_date = rates.rate_day
    left join previous
        on
            movements.transaction_id = previous.transaction_id
            and movements.movement = previous.movement
),

final as (
    select
        transaction_id,
        movement,
        player_id,
        kind,
        status,
        is_counted,
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
        previous_activity_date,
        _ingest_date,
        _batch_id,
        _source
    from with_rates
)

select * from final
