-- Current version of each game record (highest updated_at, then latest landing).
with

landed as (
    {{ current_version(source('games', 'games'), ['game_id'], 'updated_at') }}
),

final as (
    select
        game_id,
        provider,
        name,
        category,
        rtp,
        bonus_contribution,
        updated_at,
        _batch_id,
        _ingested_at,
        _source,
        cast(ingest_date as date) as _ingest_date
    from landed
    where version_rank = 1
)

select * from final
