-- Current version of each transaction record (highest updated_at, then latest landing).
with

landed as (
    {{ current_version(source('payments', 'transactions'), ['transaction_id'], 'updated_at') }}
),

final as (
    select
        transaction_id,
        player_id,
        kind,
        status,
        amount,
        fee_amount,
        currency,
        method,
        psp,
        original_transaction_id,
        created_at,
        processed_at,
        updated_at,
        _batch_id,
        _ingested_at,
        _source,
        cast(ingest_date as date) as _ingest_date
    from landed
    where version_rank = 1
)

select * from final
