-- Orphans (rules §2: records referencing an unknown player, game, affiliate or campaign
-- are kept, counted here, and included as soon as the referenced record lands), per day
-- the records belong to and per reference (source = entity.column): rounds, transactions,
-- bonuses and player events of unknown players, rounds of unknown games, clicks of unknown
-- affiliates or campaigns, and registrations whose click_id is no landed click. Expected 0;
-- one row per reference for every day that has any data, so a clean day shows its zeros.
-- Player, game, affiliate and campaign orphans fail beyond recon_orphan_tolerance (0);
-- unknown click ids are common (tracking loss): tolerated up to recon_unknown_click_share
-- of the day's registrations with a click_id, at least recon_unknown_click_min_rows.
{{ config(materialized='view') }}

with

rounds as (
    select
        round_id,
        player_id,
        game_id,
        activity_date
    from {{ ref('int_revenue__counted_rounds') }}
),

transactions as (
    select
        transaction_id,
        player_id,
        processed_date
    from {{ ref('int_revenue__counted_transactions') }}
    where movement = 'counted'
),

bonuses as (
    select
        bonus_txn_id,
        player_id,
        activity_date
    from {{ ref('int_revenue__counted_bonus_conversions') }}
),

events as (
    select
        event_id,
        player_id,
        {{ utc_date('occurred_at') }} as event_date
    from {{ ref('stg_crm__player_events') }}
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
        {{ utc_date('clicked_at') }} as click_date
    from {{ ref('stg_affiliate__clicks') }}
),

games as (
    select game_id from {{ ref('stg_games__games') }}
),

affiliates as (
    select affiliate_id from {{ ref('stg_affiliate__affiliates') }}
),

campaigns as (
    select campaign_id from {{ ref('stg_affiliate__campaigns') }}
),

calendar as (
    select check_date from {{ ref('int_recon__data_days') }}
),

reference_kinds as (
    select
        'games.rounds.player_id' as orphan_source,
        'rounds of an unknown player' as phrase
    union all
    select
        'games.rounds.game_id' as orphan_source,
        'rounds of an unknown game' as phrase
    union all
    select
        'payments.transactions.player_id' as orphan_source,
        'transactions of an unknown player' as phrase
    union all
    select
        'crm.bonuses.player_id' as orphan_source,
        'bonus transactions of an unknown player' as phrase
    union all
    select
        'crm.player_events.player_id' as orphan_source,
        'player events of an unknown player' as phrase
    union all
    select
        'affiliate.clicks.affiliate_id' as orphan_source,
        'clicks of an unknown affiliate' as phrase
    union all
    select
        'affiliate.clicks.campaign_id' as orphan_source,
        'clicks of an unknown campaign' as phrase
    union all
    select
        'crm.players.click_id' as orphan_source,
        'registrations with an unknown click_id' as phrase
),

orphans as (
    select
        'games.rounds.player_id' as orphan_source,
        rounds.activity_date as check_date,
        rounds.round_id as record_id
    from rounds
    where
        not exists (
            select 1 from players
            where players.player_id = rounds.player_id
        )
    union all
    select
        'games.rounds.game_id' as orphan_source,
        rounds.activity_date as check_date,
        rounds.round_id as record_id
    from rounds
    where
        not exists (
            select 1 from games
            where games.game_id = rounds.game_id
        )
    union all
    select
        'payments.transactions.player_id' as orphan_source,
        transactions.processed_date as check_date,
        transactions.transaction_id as record_id
    from transactions
    where
        not exists (
            select 1 from players
            where players.player_id = transactions.player_id
        )
    union all
    select
        'crm.bonuses.player_id' as orphan_source,
        bonuses.activity_date as check_date,
        bonuses.bonus_txn_id as record_id
    from bonuses
    where
        not exists (
            select 1 from players
            where players.player_id = bonuses.player_id
        )
    union all
    select
        'crm.player_events.player_id' as orphan_source,
        events.event_date as check_date,
        events.event_id as record_id
    from events
    where
        not exists (
            select 1 from players
            where players.player_id = events.player_id
        )
    union all
    select
        'affiliate.clicks.affiliate_id' as orphan_source,
        clicks.click_date as check_date,
        clicks.click_id as record_id
    from clicks
    where
        not exists (
            select 1 from affiliates
            where affiliates.affiliate_id = clicks.affiliate_id
        )
    union all
    select
        'affiliate.clicks.campaign_id' as orphan_source,
        clicks.click_date as check_date,
        clicks.click_id as record_id
    from clicks
    where
        not exists (
            select 1 from campaigns
            where campaigns.campaign_id = clicks.campaign_id
        )
    union all
    select
        'crm.players.click_id' as orphan_source,
        players.registration_date as check_date,
        players.player_id as record_id
    from players
    where
        players.click_id is not null
        and not exists (
            select 1 from clicks
            where clicks.click_id = players.click_id
        )
),

orphan_counts as (
    select
        orphan_source,
        check_date,
        count(*) as orphan_count,
        min(record_id) as first_record_id
    from orphans
    group by orphan_source, check_date
),

registrations_with_click as (
    select
        registration_date as check_date,
        count(*) as registrations
    from players
    where click_id is not null
    group by registration_date
),

counted as (
    select
        calendar.check_date,
        reference_kinds.orphan_source,
        reference_kinds.phrase,
        coalesce(orphan_counts.orphan_count, 0) as orphan_count,
        orphan_counts.first_record_id,
        case
            when reference_kinds.orphan_source = 'crm.players.click_id'
                then {{ recon_share_tolerance(
                    'coalesce(registrations_with_click.registrations, 0)',
                    'recon_unknown_click_share',
                    'recon_unknown_click_min_rows',
                ) }}
            else {{ recon_tolerance('recon_orphan_tolerance') }}
        end as tolerance
    from calendar
    cross join reference_kinds
    left join orphan_counts
        on
            calendar.check_date = orphan_counts.check_date
            and reference_kinds.orphan_source = orphan_counts.orphan_source
    left join registrations_with_click
        on calendar.check_date = registrations_with_click.check_date
),

final as (
    select
        {{ recon_check_columns(
            'check_date',
            "'orphan_records'",
            'orphan_source',
            '0',
            'orphan_count',
            'tolerance',
            "case
                when orphan_count = 0 then 'no ' || phrase
                else cast(orphan_count as " ~ dbt.type_string() ~ ") || ' ' || phrase
                    || ', e.g. ' || first_record_id
            end",
        ) }}
    from counted
)

select * from final
