-- Days a player's activity is left out of its affiliate's figures (rules §5): from the day
-- of a fraud_flagged event up to, not including, the day of the next fraud_cleared one.
with

events as (
    select
        event_id,
        player_id,
        event_type,
        occurred_at
    from {{ ref('stg_crm__player_events') }}
    where event_type in ('fraud_flagged', 'fraud_cleared')
),

flags as (
    select
        event_id,
        player_id,
        occurred_at as flagged_at
    from events
    where event_type = 'fraud_flagged'
),

periods as (
    select
        flags.event_id as flag_event_id,
        flags.player_id,
        flags.flagged_at,
        min(clears.occurred_at) as cleared_at
    from flags
    left join events as clears
        on
            flags.player_id = clears.player_id
            and clears.event_type = 'fraud_cleared'
            and flags.flagged_at < clears.occurred_at
    group by flags.event_id, flags.player_id, flags.flagged_at
),

final as (
    select
        flag_event_id,
        player_id,
        flagged_at,
        cleared_at,
        {{ utc_date('flagged_at') }} as excluded_from,
        {{ utc_date('cleared_at') }} as excluded_until
    from periods
)

select * from final
