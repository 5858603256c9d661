-- Every self-exclusion, cooling-off and account closure (outputs.md), with each deposit,
-- round, bonus and commission entry that touched the player while it was in force: one row
-- per restriction and touching record, and one row (touch columns null) for a restriction
-- nothing touched. What compliance shows a regulator: that no restricted player was
-- marketed to (a bonus granted) or earned anyone a commission.
-- In force [restricted_from, restricted_until): a self-exclusion until the player's next
-- self_exclusion_ended (none: open-ended); a cooling-off for var cooling_off_days (default
-- 7, as in dim_player_status_history; the contract has no end event); a closure for good
-- (there is no reopening event). A record touches at its own time: a deposit when it was
-- made (created_at, whatever became of it), a round when it started, a bonus when it
-- happened; a ledger entry of the player at the end of its source day (a CPA is evaluated
-- at the end of its qualifying day, a clawback dated by its cause), any entry type.
-- A view: it shows the current records against the current books.
{{ config(materialized='view') }}
{% set cooling_off_days = var('cooling_off_days', 7) %}

with

events as (
    select * from {{ ref('stg_crm__player_events') }}
),

transactions as (
    select * from {{ ref('stg_payments__transactions') }}
),

rounds as (
    select * from {{ ref('stg_games__rounds') }}
),

bonuses as (
    select * from {{ ref('stg_crm__bonuses') }}
),

ledger as (
    select * from {{ ref('commission_ledger') }}
),

attribution as (
    select * from {{ ref('int_attribution__payout') }}
),

self_exclusion_ends as (
    select
        player_id,
        occurred_at
    from events
    where event_type = 'self_exclusion_ended'
),

self_exclusions as (
    select
        exclusion_starts.event_id,
        exclusion_starts.player_id,
        'self_exclusion' as restriction_type,
        exclusion_starts.occurred_at as restricted_from,
        min(exclusion_ends.occurred_at) as restricted_until
    from events as exclusion_starts
    left join self_exclusion_ends as exclusion_ends
        on
            exclusion_starts.player_id = exclusion_ends.player_id
            and exclusion_starts.occurred_at < exclusion_ends.occurred_at
    where exclusion_starts.event_type = 'self_exclusion_started'
    group by exclusion_starts.event_id, exclusion_starts.player_id, exclusion_starts.occurred_at
),

restrictions as (
    select * from self_exclusions
    union all
    select
        event_id,
        player_id,
        'cooling_off' as restriction_type,
        occurred_at as restricted_from,
        {{ dbt.dateadd('day', cooling_off_days, 'occurred_at') }} as restricted_until
    from events
    where event_type = 'cooling_off_started'
    union all
    select
        event_id,
        player_id,
        'account_closure' as restriction_type,
        occurred_at as restricted_from,
        cast(null as {{ type_utc_timestamp() }}) as restricted_until
    from events
    where event_type = 'account_closed'
),

touches as (
    select
        player_id,
        'payments' as touch_source,
        'transactions' as touch_entity,
        transaction_id as touch_record_id,
        kind as touch_kind,
        status as touch_status,
        created_at as touched_at,
        cast(amount as decimal(18, 4)) as amount,
        currency,
        cast(null as {{ dbt.type_string() }}) as ledger_affiliate_id
    from transactions
    where kind = 'deposit'
    union all
    select
        player_id,
        'games' as touch_source,
        'rounds' as touch_entity,
        round_id as touch_record_id,
        'round' as touch_kind,
        status as touch_status,
        started_at as touched_at,
        cast(stake_real as decimal(18, 4)) as amount,
        currency,
        cast(null as {{ dbt.type_string() }}) as ledger_affiliate_id
    from rounds
    union all
    select
        player_id,
        'crm' as touch_source,
        'bonuses' as touch_entity,
        bonus_txn_id as touch_record_id,
        concat('bonus ', kind) as touch_kind,
        cast(null as {{ dbt.type_string() }}) as touch_status,
        occurred_at as touched_at,
        cast(amount as decimal(18, 4)) as amount,
        currency,
        cast(null as {{ dbt.type_string() }}) as ledger_affiliate_id
    from bonuses
    union all
    select
        player_id,
        'warehouse' as touch_source,
        'finance.commission_ledger' as touch_entity,
        entry_id as touch_record_id,
        entry_type as touch_kind,
        concat('booked in ', cast(period_month as {{ dbt.type_string() }})) as touch_status,
        -- The last instant of the entry's source day.
        cast(
            {{ dbt.dateadd('microsecond', -1, dbt.dateadd('day', 1, 'cast(source_date as timestamp)')) }}
            as {{ type_utc_timestamp() }}
        ) as touched_at,
        cast(amount as decimal(18, 4)) as amount,
        '{{ var("base_currency") }}' as currency,
        affiliate_id as ledger_affiliate_id
    from ledger
    where player_id is not null
),

touched as (
    select
        restrictions.event_id,
        touches.touch_source,
        touches.touch_entity,
        touches.touch_record_id,
        touches.touch_kind,
        touches.touch_status,
        touches.touched_at,
        touches.amount,
        touches.currency,
        touches.ledger_affiliate_id
    from restrictions
    inner join touches
        on
            restrictions.player_id = touches.player_id
            and restrictions.restricted_from <= touches.touched_at
            and (
                restrictions.restricted_until is null
                or restrictions.restricted_until > touches.touched_at
            )
),

final as (
    select
        restrictions.event_id as restriction_event_id,
        restrictions.player_id,
        restrictions.restriction_type,
        restrictions.restricted_from,
        restrictions.restricted_until,
        touched.touch_source,
        touched.touch_entity,
        touched.touch_record_id,
        touched.touch_kind,
        touched.touch_status,
        touched.touched_at,
        touched.amount,
        touched.currency,
        case
            when touched.touch_entity = 'finance.commission_ledger' then touched.ledger_affiliate_id
            when touched.touch_entity is not null then attribution.affiliate_id
        end as affiliate_id
    from restrictions
    left join touched on restrictions.event_id = touched.event_id
    left join attribution on restrictions.player_id = attribution.player_id
)

select * from final
