-- Current version of each player_event record (immutable: re-deliveries of the same record count once).
with

landed as (
    {{ current_version(source('crm', 'player_events'), ['event_id']) }}
),

final as (
    select
        event_id,
        player_id,
        event_type,
        occurred_at,
        reason,
        actor,
        _batch_id,
        _ingested_at,
        _source,
        cast(ingest_date as date) as _ingest_date
    from landed
    where version_rank = 1
)

select * from final
