-- Current version of each affiliate record (highest updated_at, then latest landing).
with

landed as (
    {{ current_version(source('affiliate', 'affiliates'), ['affiliate_id'], 'updated_at') }}
),

final as (
    select
        affiliate_id,
        name,
        email,
        country,
        parent_affiliate_id,
        status,
        payout_currency,
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
