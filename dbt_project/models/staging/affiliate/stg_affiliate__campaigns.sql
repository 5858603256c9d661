-- Current version of each campaign record (highest updated_at, then latest landing).
with

landed as (
    {{ current_version(source('affiliate', 'campaigns'), ['campaign_id'], 'updated_at') }}
),

final as (
    select
        campaign_id,
        affiliate_id,
        brand_id,
        name,
        traffic_source,
        created_at,
        updated_at,
        _batch_id,
        _ingested_at,
        _source,
        cast(ingest_date as date) as _ingest_date
    from landed
    where version_rank = 1
)

select * from final
