-- Every day with data of any kind: a round, transaction, bonus or player event on its
-- day, a registration, a click, a settlement file, a provider report, or a landing. The
-- reconciliation's per-day counts (orphans, unconvertible amounts) have a row, zero or
-- not, for each of these days and no other.
{{ config(materialized='view') }}

with

rounds as (
    select activity_date from {{ ref('int_revenue__counted_rounds') }}
),

transactions as (
    select processed_date from {{ ref('int_revenue__counted_transactions') }}
),

bonuses as (
    select activity_date from {{ ref('int_revenue__counted_bonus_conversions') }}
),

events as (
    select {{ utc_date('occurred_at') }} as event_date from {{ ref('stg_crm__player_events') }}
),

players as (
    select {{ utc_date('registered_at') }} as registration_date
    from {{ ref('stg_crm__players') }}
),

clicks as (
    select {{ utc_date('clicked_at') }} as click_date from {{ ref('stg_affiliate__clicks') }}
),

settlements as (
    select settlement_date from {{ ref('stg_payments__settlements') }}
),

provider_reports as (
    select report_date from {{ ref('stg_games__provider_reports') }}
),

deliveries as (
    select ingest_date from {{ ref('stg_landing__deliveries') }}
),

days as (
    select activity_date as check_date from rounds
    union
    select processed_date as check_date from transactions
    union
    select activity_date as check_date from bonuses
    union
    select event_date as check_date from events
    union
    select registration_date as check_date from players
    union
    select click_date as check_date from clicks
    union
    select settlement_date as check_date from settlements
    union
    select report_date as check_date from provider_reports
    union
    select ingest_date as check_date from deliveries
),

final as (
    select distinct check_date from days
    where check_date is not null
)

select * from final
