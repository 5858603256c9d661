-- Current version of each settlement record (latest landing wins (a corrected re-send replaces the earlier one)).
with

landed as (
    {{ current_version(source('payments', 'settlements'), ['settlement_date', 'psp', 'currency']) }}
),

final as (
    select
        settlement_date,
        psp,
        currency,
        deposit_count,
        deposit_amount,
        withdrawal_count,
        withdrawal_amount,
        chargeback_count,
        chargeback_amount,
        fee_amount,
        _batch_id,
        _ingested_at,
        _source,
        cast(ingest_date as date) as _ingest_date
    from landed
    where version_rank = 1
)

select * from final
