-- The closed payout months (rules §11), one row each, appended by
-- `igw payout close --month M` (var close_month); the CLI checks the order and that M was
-- built. A closed month's books never change again. `full_refresh=false`: never dropped.
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        full_refresh=false,
        on_schema_change='fail',
    )
}}
{% set close_month = var('close_month') %}

with

closing as (
    select
        cast({{ "'" ~ close_month ~ "'" if close_month else 'null' }} as date) as period_month,
        cast({{ dbt.current_timestamp() }} as timestamp) as closed_at
),

final as (
    select
        period_month,
        closed_at
    from closing
    where
        period_month is not null
    {% if is_incremental() -%}
        and period_month not in (select closed.period_month from {{ this }} as closed)
        {%- endif %}
)

select * from final
