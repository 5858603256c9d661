-- The check days a build recomputes in recon.daily_checks (incremental builds): the days
-- whose inputs landed in the build's window (vars min_date/max_date over landing
-- partitions). That is the days the daily facts reopen (rounds, transactions and bonuses
-- reprocessed, their earlier days, changed FX rates, players whose market is new), the
-- dates of settlement files and provider reports landed, the landing days themselves
-- (duplicates, late arrivals), and the days whose orphans may have changed: events,
-- registrations and clicks landed, and the records of players, games, affiliates and
-- campaigns that landed for the first time. `igw reconcile` forces its day instead
-- (var recon_days).
{%- set forced_days = recon_forced_days() %}

with

{% if forced_days is not none -%}
days as (
    {% for day in forced_days -%}
    select cast('{{ day }}' as date) as check_date
    {% if not loop.last %}union all
    {% endif -%}
    {%- endfor %}
),
{%- else -%}
reopened_days as (
    select reopened_date from {{ ref('int_revenue__reopened_days') }}
),

settlements as (
    select
        settlement_date,
        _ingest_date
    from {{ ref('stg_payments__settlements') }}
),

provider_reports as (
    select
        report_date,
        _ingest_date
    from {{ ref('stg_games__provider_reports') }}
),

deliveries as (
    select ingest_date from {{ ref('stg_landing__deliveries') }}
),

events as (
    select
        player_id,
        {{ utc_date('occurred_at') }} as event_date,
        _ingest_date
    from {{ ref('stg_crm__player_events') }}
),

player_versions as (
    select
        player_id,
        click_id,
        {{ utc_date('registered_at') }} as registration_date,
        version_number,
        _ingest_date
    from {{ ref('stg_crm__players_versions') }}
),

players as (
    select
        player_id,
        click_id,
        {{ utc_date('registered_at') }} as registration_date
    from {{ ref('stg_crm__players') }}
),

clicks as (
    select
        click_id,
        affiliate_id,
        campaign_id,
        {{ utc_date('clicked_at') }} as click_date,
        _ingest_date
    from {{ ref('stg_affiliate__clicks') }}
),

affiliate_versions as (
    select
        affiliate_id,
        version_number,
        _ingest_date
    from {{ ref('stg_affiliate__affiliates_versions') }}
),

campaign_versions as (
    select
        campaign_id,
        version_number,
        _ingest_date
    from {{ ref('stg_affiliate__campaigns_versions') }}
),

game_versions as (
    select
        game_id,
        _ingest_date
    from {{ ref('stg_games__games_versions') }}
),

rounds as (
    select
        game_id,
        activity_date
    from {{ ref('int_revenue__counted_rounds') }}
),

new_players as (
    select distinct player_id
    from player_versions
    where version_number = 1 and {{ in_build_window('_ingest_date') }}
),

clicks_landed as (
    select * from clicks
    where {{ in_build_window('_ingest_date') }}
),

-- A game version in the window can change a round's provider, or make an orphan round known.
games_landed as (
    select distinct game_id
    from game_versions
    where {{ in_build_window('_ingest_date') }}
),

new_affiliates as (
    select distinct affiliate_id
    from affiliate_versions
    where version_number = 1 and {{ in_build_window('_ingest_date') }}
),

new_campaigns as (
    select distinct campaign_id
    from campaign_versions
    where version_number = 1 and {{ in_build_window('_ingest_date') }}
),

days as (
    select reopened_date as check_date from reopened_days
    union
    select settlement_date as check_date from settlements
    where {{ in_build_window('_ingest_date') }}
    union
    select report_date as check_date from provider_reports
    where {{ in_build_window('_ingest_date') }}
    union
    select ingest_date as check_date from deliveries
    where {{ in_build_window('ingest_date') }}
    union
    select event_date as check_date from events
    where
        {{ in_build_window('_ingest_date') }}
        or player_id in (select new_players.player_id from new_players)
    union
    select registration_date as check_date from player_versions
    where {{ in_build_window('_ingest_date') }}
    union
    select players.registration_date as check_date from players
    inner join clicks_landed on players.click_id = clicks_landed.click_id
    union
    select click_date as check_date from clicks_landed
    union
    select click_date as check_date from clicks
    where
        affiliate_id in (select new_affiliates.affiliate_id from new_affiliates)
        or campaign_id in (select new_campaigns.campaign_id from new_campaigns)
    union
    select activity_date as check_date from rounds
    where game_id in (select games_landed.game_id from games_landed)
),
{%- endif %}

final as (
    select distinct check_date from days
    where check_date is not null
)

select * from final
