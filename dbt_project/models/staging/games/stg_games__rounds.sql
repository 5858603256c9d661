-- Current version of each round record (highest updated_at, then latest landing).
with

landed as (
    {{ current_version(source('games', 'rounds'), ['round_id'], 'updated_at') }}
),

final as (
    select
        round_id,
        player_id,
        game_id,
        started_at,
        settled_at,
        currency,
        stake_real,
        stake_bonus,
        win_real,
        win_bonus,
        jackpot_contribution,
        status,
        updated_at,
        _batch_id,
        _ingested_at,
        _source,
        cast(ingest_date as date) as _ingest_date
    from landed
    where version_rank = 1
)

select * from final
