-- Type-2 history of each player's status (public, schema marts), from crm.player_events:
-- one row per player and interval [valid_from, valid_to). The first interval starts at
-- registration; each later one where an event happened, or where a cooling-off ran out.
-- Events are applied in occurred_at, then event_id order; events at the same instant open
-- one interval together, named after the last of them. An event dated before registration
-- counts from the registration. Cooling-off: the contract has no end event, so one lasts
-- var('cooling_off_days', default 7) days from its start (exclusive); a new start extends it.
-- Each status is found as the latest event of its kind so far: the running max of
-- (event sequence × 10 + state) keeps the latest one's state in its last digit.
{% set cooling_off_days = var('cooling_off_days', 7) %}

with

players as (
    select * from {{ ref('stg_crm__players') }}
),

player_versions as (
    select * from {{ ref('stg_crm__players_versions') }}
),

events as (
    select * from {{ ref('stg_crm__player_events') }}
),

-- Marketing consent before any consent event: the player's earliest version's.
initial_consent as (
    select
        player_id,
        marketing_consent as initial_marketing_consent
    from player_versions
    where version_number = 1
),

-- Events wait for their player (rules §2): an orphan event enters once the player lands.
sequenced_events as (
    select
        events.event_id,
        events.player_id,
        events.event_type,
        case
            when events.occurred_at < players.registered_at then players.registered_at
            else events.occurred_at
        end as changed_at,
        row_number() over (
            partition by events.player_id
            order by events.occurred_at, events.event_id
        ) as event_sequence
    from events
    inner join players on events.player_id = players.player_id
),

-- Every instant a status can change: registration (kind 0), the end of a cooling-off
-- (kind 1) and each event (kind 2); at one instant the kinds apply in that order.
boundaries as (
    select
        player_id,
        registered_at as changed_at,
        0 as boundary_kind,
        0 as event_sequence,
        cast(null as {{ dbt.type_string() }}) as event_id,
        'registered' as event_type
    from players
    union all
    select
        player_id,
        {{ dbt.dateadd('day', cooling_off_days, 'changed_at') }} as changed_at,
        1 as boundary_kind,
        event_sequence,
        event_id,
        'cooling_off_expired' as event_type
    from sequenced_events
    where event_type = 'cooling_off_started'
    union all
    select
        player_id,
        changed_at,
        2 as boundary_kind,
        event_sequence,
        event_id,
        event_type
    from sequenced_events
),

-- What each boundary contributes: only events do (the other kinds match no event type).
contributions as (
    select
        player_id,
        changed_at,
        boundary_kind,
        event_sequence,
        event_id,
        event_type,
        case event_type
            when 'kyc_verified' then event_sequence * 10 + 1
            when 'kyc_failed' then event_sequence * 10 + 2
        end as kyc_mark,
        case event_type
            when 'self_exclusion_started' then event_sequence * 10 + 1
            when 'self_exclusion_ended' then event_sequence * 10
        end as self_exclusion_mark,
        case event_type
            when 'fraud_flagged' then event_sequence * 10 + 1
            when 'fraud_cleared' then event_sequence * 10
        end as fraud_mark,
        case event_type
            when 'consent_granted' then event_sequence * 10 + 1
            when 'consent_withdrawn' then event_sequence * 10
        end as consent_mark,
        case when event_type = 'cooling_off_started' then changed_at end as cooling_off_started_at,
        case when event_type = 'account_closed' then 1 else 0 end as closed_mark,
        case when event_type = 'erasure_requested' then 1 else 0 end as erased_mark
    from boundaries
),

running as (
    select
        player_id,
        changed_at,
        boundary_kind,
        event_sequence,
        event_id,
        event_type,
        max(kyc_mark) over player_so_far as kyc_mark,
        max(self_exclusion_mark) over player_so_far as self_exclusion_mark,
        max(fraud_mark) over player_so_far as fraud_mark,
        max(consent_mark) over player_so_far as consent_mark,
        max(cooling_off_started_at) over player_so_far as cooling_off_started_at,
        max(closed_mark) over player_so_far as closed_mark,
        max(erased_mark) over player_so_far as erased_mark
    from contributions
    window player_so_far as (
        partition by player_id
        order by changed_at, boundary_kind, event_sequence
        rows between unbounded preceding and current row
    )
),

statuses as (
    select
        running.player_id,
        running.changed_at,
        running.boundary_kind,
        running.event_sequence,
        running.event_id,
        running.event_type,
        case mod(running.kyc_mark, 10)
            when 1 then 'verified'
            when 2 then 'failed'
            else 'pending'
        end as kyc_status,
        coalesce(mod(running.self_exclusion_mark, 10) = 1, false) as is_self_excluded,
        case
            when
                running.changed_at
                < {{ dbt.dateadd('day', cooling_off_days, 'running.cooling_off_started_at') }}
                then {{ dbt.dateadd('day', cooling_off_days, 'running.cooling_off_started_at') }}
        end as cooling_off_until,
        running.closed_mark = 1 as is_account_closed,
        coalesce(mod(running.fraud_mark, 10) = 1, false) as is_fraud_flagged,
        case
            when running.consent_mark is null then initial_consent.initial_marketing_consent
            else mod(running.consent_mark, 10) = 1
        end as has_marketing_consent,
        running.erased_mark = 1 as is_erased
    from running
    left join initial_consent on running.player_id = initial_consent.player_id
),

-- A cooling-off's end is a boundary only where it really ends (no later start extended
-- it); the last boundary of an instant carries the instant's status.
interval_starts as (
    select
        *,
        row_number() over (
            partition by player_id, changed_at
            order by boundary_kind desc, event_sequence desc
        ) as instant_rank
    from statuses
    where boundary_kind != 1 or cooling_off_until is null
),

final as (
    select
        {{ dbt.hash("concat(player_id, '|', cast(changed_at as " ~ dbt.type_string() ~ "))") }}
            as player_status_version_key,
        player_id,
        changed_at as valid_from,
        lead(changed_at) over (partition by player_id order by changed_at) as valid_to,
        kyc_status,
        is_self_excluded,
        cooling_off_until is not null as is_cooling_off,
        cooling_off_until,
        is_account_closed,
        is_fraud_flagged,
        has_marketing_consent,
        is_erased,
        event_id,
        event_type
    from interval_starts
    where instant_rank = 1
)

select * from final
