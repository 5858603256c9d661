-- Payout attribution frozen by closing a month (rules §4: once the month of registration is
-- closed, payout attribution of its players is frozen). `igw payout close --month M` runs
-- this model with var close_month = M: the players registered up to M's end that are not
-- frozen yet are appended with their attribution of that moment. Any other run appends
-- nothing, and `full_refresh=false` keeps the frozen rows through a --full-refresh.
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

last_click as (
    select * from {{ ref('int_attribution__last_click') }}
),

{% if is_incremental() -%}
already_frozen as (
    select player_id from {{ this }}
),
{%- endif %}

final as (
    select
        last_click.player_id,
        last_click.brand_id,
        last_click.registered_at,
        last_click.affiliate_id,
        last_click.campaign_id,
        last_click.click_id,
        last_click.attribution_method,
        cast({{ "'" ~ close_month ~ "'" if close_month else 'null' }} as date) as frozen_by_month,
        cast({{ dbt.current_timestamp() }} as timestamp) as frozen_at
    from last_click
    {% if close_month -%}
    where
        {{ month_start('last_click.registered_at') }} <= cast('{{ close_month }}' as date)
        {% if is_incremental() -%}
        and last_click.player_id not in (select already_frozen.player_id from already_frozen)
        {%- endif %}
    {%- else -%}
    where 1 = 0
    {%- endif %}
)

select * from final
