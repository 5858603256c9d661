-- The restricted layer (business-rules §12): the CRM's clear-text PII of each player's
-- current version (highest updated_at, then the latest landing, §2), one row per player.
-- A view in the separate restricted.duckdb: it stores nothing, it reads the landing zone
-- when queried. After an erasure_requested event of the player has landed, its email,
-- date of birth and registration IP read as null here too, while the player id stays.
with

landed_players as (
    {{ current_version(source('crm', 'players'), ['player_id'], 'updated_at') }}
),

erasures as (
    select
        player_id,
        min(occurred_at) as erasure_requested_at
    from {{ source('crm', 'player_events') }}
    where event_type = 'erasure_requested'
    group by player_id
),

final as (
    select
        landed_players.player_id,
        case when erasures.player_id is null then landed_players.email end as email,
        case when erasures.player_id is null then landed_players.date_of_birth end as date_of_birth,
        case when erasures.player_id is null then landed_players.registration_ip end as registration_ip,
        erasures.player_id is not null as is_erased,
        erasures.erasure_requested_at,
        landed_players.updated_at,
        landed_players._batch_id
    from landed_players
    left join erasures on landed_players.player_id = erasures.player_id
    where landed_players.version_rank = 1
)

select * from final
