-- Current version of each bonuse record (highest updated_at, then latest landing).
with

landed as (
    {{ current_version(source('crm', 'bonuses'), ['bonus_txn_id'], 'updated_at') }}
),

final as (
    select
        bonus_txn_id,
        player_id,
        bonus_code,
        kind,
        amount,
        currency,
        occurred_at,
        updated_at,
        _batch_id,
        _ingested_at,
        _source,
        cast(ingest_date as date) as _ingest_date
    from landed
    where version_rank = 1
)

select * from final
