-- Clicks per affiliate, campaign and UTC day. Incremental: a build recounts only the days
-- of the clicks landed in its window (a late click reopens its own day), whole; clicks
-- never disappear, so every reopened day has rows to replace the stored ones.
{{
    config(
        materialized="incremental",
        incremental_strategy="delete+insert",
        unique_key="click_date",
        on_schema_change="fail",
    )
}}

with

clicks as (
    select
        click_id,
        affiliate_id,
        campaign_id,
        {{ utc_date('clicked_at') }} as click_date,
        _ingest_date
    from {{ ref('stg_affiliate__clicks') }}
),

{% if is_incremental() -%}
reopened_days as (
    select distinct click_date from clicks
    where {{ in_build_window('_ingest_date') }}
),
{%- endif %}

counted as (
    select * from clicks
    {% if is_incremental() -%}
    where click_date in (select click_date from reopened_days)
    {%- endif %}
),

final as (
    select
        affiliate_id,
        campaign_id,
        click_date,
        count(*) as clicks
    from counted
    group by affiliate_id, campaign_id, click_date
)

select * from final
