-- The activity days a build recomputes in the daily facts: the days of every round,
-- transaction movement and bonus reprocessed in the window, the days they fell on before
-- (a round re-sent as cancelled, a deposit approved or reversed), and the days whose rate
-- changed; and the days of players whose market (gaming tax, §5) is new in the window: a
-- player record landing after the player's first rounds, or a changed country. Late
-- records thus reopen only the days they touch.
with

counted_rounds as (
    select
        player_id,
        activity_date,
        previous_activity_date,
        _ingest_date
    from {{ ref('int_revenue__counted_rounds') }}
),

counted_transactions as (
    select
        player_id,
        activity_date,
        previous_activity_date,
        _ingest_date
    from {{ ref('int_revenue__counted_transactions') }}
),

counted_bonuses as (
    select
        player_id,
        activity_date,
        previous_activity_date,
        _ingest_date
    from {{ ref('int_revenue__counted_bonus_conversions') }}
),

changed_rate_days as (
    select rate_day from {{ ref('int_fx__changed_rate_days') }}
),

player_versions as (
    select
        player_id,
        country,
        _ingest_date,
        lag(country) over (partition by player_id order by updated_at) as previous_country,
        version_number
    from {{ ref('stg_crm__players_versions') }}
),

players_with_new_market as (
    select distinct player_id
    from player_versions
    where
        {{ in_build_window('_ingest_date') }}
        and (version_number = 1 or country != previous_country)
),

days_of_players_with_new_market as (
    select counted_rounds.activity_date
    from counted_rounds
    inner join players_with_new_market
        on counted_rounds.player_id = players_with_new_market.player_id
    union
    select counted_transactions.activity_date
    from counted_transactions
    inner join players_with_new_market
        on counted_transactions.player_id = players_with_new_market.player_id
    union
    select counted_bonuses.activity_date
    from counted_bonuses
    inner join players_with_new_market
        on counted_bonuses.player_id = players_with_new_market.player_id
),

reprocessed as (
    select
        activity_date,
        previous_activity_date
    from counted_rounds
    where {{ in_build_window('_ingest_date') }}
    union all
    select
        activity_date,
        previous_activity_date
    from counted_transactions
    where {{ in_build_window('_ingest_date') }}
    union all
    select
        activity_date,
        previous_activity_date
    from counted_bonuses
    where {{ in_build_window('_ingest_date') }}
),

days as (
    select activity_date as reopened_date from reprocessed
    union
    select previous_activity_date as reopened_date from reprocessed
    where previous_activity_date is not null
    union
    select rate_day as reopened_date from changed_rate_days
    union
    select activity_date as reopened_date from days_of_players_with_new_market
),

final as (
    select distinct reopened_date from days
)

select * from final
