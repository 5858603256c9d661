-- Every round's current version on its settlement day, converted to the base currency at
-- that day's rate; `is_counted` where the current status is settled (rules §2). Rounds
-- with no usable rate keep null base amounts and are listed by
-- int_revenue__unconvertible_amounts instead of counting as zero (§1).
-- Incremental: a build reprocesses the rounds whose version landed in its window and those
-- of days whose rate changed; `previous_activity_date` keeps the day a reprocessed round
-- counted on before, so the daily facts reopen both days.
-- depends_on: {{ ref('int_fx__changed_rate_days') }}
{{
    config(
        materialized="incremental",
        unique_key="round_id",
        on_schema_change="fail",
    )
}}

with

rounds as (
    select
        round_id,
        player_id,
        game_id,
        currency,
        stake_real,
        win_real,
        jackpot_contribution,
        status = 'settled' as is_counted,
        -- A settled round should carry settled_at; where a vendor omits it, its last update
        -- is when it settled.
        {{ utc_date('coalesce(settled_at, updated_at)') }} as activity_date,
        _ingest_date,
        _batch_id,
        _source
    from {{ ref('stg_games__rounds') }}
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
    select * from rounds
    {{ where_reprocessed('rounds', 'activity_date') }}
),

previous as (
    {% if is_incremental() -%}
    select
        round_id,
        activity_date as previous_activity_date
    from {{ this }}
    {%- else -%}
    select
        cast(null as {{ dbt.type_string() }}) as round_id,
        cast(null as date) as previous_activity_date
    where 1 = 0
    {%- endif %}
),

with_rates as (
    select
        reprocessed.*,
        {{ rate_to_base('reprocessed.currency', 'rates') }} as rate_to_base,
        previous.previous_activity_date
    from reprocessed
    left join rates
        on reprocessed.currency = rates.currency and reprocessed.activity_date = rates.rate_day
    left join previous on reprocessed.round_id = previous.round_id
),

final as (
    select
        round_id,
        player_id,
        game_id,
        activity_date,
        is_counted,
        currency,
        stake_real,
        win_real,
        jackpot_contribution,
        rate_to_base,
        cast(stake_real * rate_to_base as {{ type_money() }}) as stake_real_base,
        cast(win_real * rate_to_base as {{ type_money() }}) as win_real_base,
        cast(jackpot_contribution * rate_to_base as {{ type_money() }}) as jackpot_base,
        previous_activity_date,
        _ingest_date,
        _batch_id,
        _source
    from with_rates
)

select * from final
