-- Current version of each fx_rate record (latest landing wins (a corrected re-send replaces the earlier one)).
with

landed as (
    {{ current_version(source('payments', 'fx_rates'), ['rate_date', 'currency']) }}
),

final as (
    select
        rate_date,
        currency,
        rate_to_base,
        _batch_id,
        _ingested_at,
        _source,
        cast(ingest_date as date) as _ingest_date
    from landed
    where version_rank = 1
)

select * from final
