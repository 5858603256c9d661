-- Bonus transactions' current versions on the day they happened, at that day's rate;
-- `is_counted` for `converted` ones: bonus money that became withdrawable real money is the
-- bonus cost (rules §5). Incremental like int_revenue__counted_rounds.
-- depends_on: {{ ref('int_fx__changed_rate_days') }}
{{
    config(
        materialized="incremental",
        unique_key="bonus_txn_id",
        on_schema_change="fail",
    )
}}

with

bonuses as (
    select
        bonus_txn_id,
        player_id,
        bonus_code,
        kind,
        amount,
        currency,
        kind = 'converted' as is_counted,
        {{ utc_date('occurred_at') }} as activity_date,
        _ingest_date,
        _batch_id,
        _source
    from {{ ref('stg_crm__bonuses') }}
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
    select * from bonuses
    {{ where_reprocessed('bonuses', 'activity_date') }}
),

previous as (
    {% if is_incremental() -%}
    select
        bonus_txn_id,
        activity_date as previous_activity_date
    from {{ this }}
    {%- else -%}
    select
        cast(null as {{ dbt.type_string() }}) as bonus_txn_id,
        cast(null as date) as previous_activity_date
    where 1 = 0
    {%- endif %}
),

final as (
    select
        reprocessed.bonus_txn_id,
        reprocessed.player_id,
        reprocessed.bonus_code,
        reprocessed.kind,
        reprocessed.is_counted,
        reprocessed.activity_date,
        reprocessed.currency,
        reprocessed.amount,
        {{ rate_to_base('reprocessed.currency', 'rates') }} as rate_to_base,
        cast(
            reprocessed.amount * {{ rate_to_base('reprocessed.currency', 'rates') }}
            as {{ type_money() }}
        ) as amount_base,
        previous.previous_activity_date,
        reprocessed._ingest_date,
        reprocessed._batch_id,
        reprocessed._source
    from reprocessed
    left join rates
        on reprocessed.currency = rates.currency and reprocessed.activity_date = rates.rate_day
    left join previous on reprocessed.bonus_txn_id = previous.bonus_txn_id
)

select * from final
