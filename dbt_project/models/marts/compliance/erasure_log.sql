-- Every erasure request (outputs.md, business-rules §12) and when it took effect: the
-- start of the first warehouse build that processed it (dbt's run_started_at, UTC), from
-- which the player's PII reads null in every output. Append-only and never rebuilt
-- (full_refresh false): a request keeps the time it first took effect across builds and
-- `--full-refresh`. Built by every daily build (not tag:monthly).
-- What is erased: the player's clear email, date of birth and registration IP in the
-- restricted layer, and what derives from them in the marts (the email and IP
-- pseudonyms and the age band of marts.dim_players); the player id and its financial
-- history stay.
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        full_refresh=false,
        on_schema_change='fail',
    )
}}

{% set erased_fields = (
    'restricted.stg_crm__player_pii: email, date_of_birth, registration_ip; '
    ~ 'marts.dim_players: email_pseudonym, registration_ip_pseudonym, age_band'
) %}

with

requests as (
    select * from {{ ref('stg_crm__player_events') }}
    where event_type = 'erasure_requested'
),

players as (
    select player_id from {{ ref('stg_crm__players') }}
),

{% if is_incremental() -%}
logged as (
    select event_id from {{ this }}
),
{%- endif %}

final as (
    select
        requests.event_id,
        requests.player_id,
        requests.occurred_at as requested_at,
        requests.actor,
        requests._batch_id as request_batch_id,
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}+00' as {{ type_utc_timestamp() }})
            as took_effect_at,
        players.player_id is not null as player_landed,
        '{{ erased_fields }}' as erased
    from requests
    left join players on requests.player_id = players.player_id
    {% if is_incremental() -%}
    where requests.event_id not in (select logged.event_id from logged)
    {%- endif %}
)

select * from final
