-- Current version of each provider_report record (latest landing wins (a corrected re-send replaces the earlier one)).
with

landed as (
    {{ current_version(source('games', 'provider_reports'), ['report_date', 'provider', 'currency']) }}
),

final as (
    select
        report_date,
        provider,
        currency,
        rounds_count,
        stakes_real,
        wins_real,
        _batch_id,
        _ingested_at,
        _source,
        cast(ingest_date as date) as _ingest_date
    from landed
    where version_rank = 1
)

select * from final
