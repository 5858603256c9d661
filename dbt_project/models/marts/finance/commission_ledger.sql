-- The commission ledger (rules §11), public: every entry booked, one row each. A payout
-- build replaces the open months' (provisional) entries with int_commissions__entries and
-- never touches a closed month's. An entry rebuilt unchanged keeps its booked_at.
{{
    config(
        materialized='incremental',
        incremental_strategy='replace_open_months',
        closures_model='payout_closures',
        full_refresh=false,
        on_schema_change='fail',
    )
}}
{% set building = var('payout_month') is not none %}

with

entries as (
    select * from {{ ref('int_commissions__entries') }}
),

previous as (
    {% if is_incremental() -%}
    select
        entry_id,
        period_month,
        amount,
        booked_at
    from {{ this }}
    {%- else -%}
    select
        cast(null as {{ dbt.type_string() }}) as entry_id,
        cast(null as date) as period_month,
        cast(null as decimal(18, 2)) as amount,
        cast(null as timestamp) as booked_at
    where 1 = 0
    {%- endif %}
),

final as (
    select
        entries.entry_id,
        entries.affiliate_id,
        entries.period_month,
        entries.entry_type,
        cast(entries.amount as decimal(18, 2)) as amount,
        entries.player_id,
        entries.deal_id,
        entries.reverses_entry_id,
        entries.reason,
        coalesce(previous.booked_at, cast({{ dbt.current_timestamp() }} as timestamp)) as booked_at,
        entries.child_affiliate_id,
        entries.source_month,
        entries.source_date,
        entries.source_record_id
    from entries
    left join previous
        on
            entries.entry_id = previous.entry_id
            and entries.period_month = previous.period_month
            and entries.amount = previous.amount
    {% if not building -%}
    where 1 = 0
    {%- endif %}
)

select * from final
