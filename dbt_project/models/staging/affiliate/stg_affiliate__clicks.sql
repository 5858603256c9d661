-- Current version of each click record (immutable: re-deliveries of the same record count once).
with

landed as (
    {{ current_version(source('affiliate', 'clicks'), ['click_id']) }}
),

final as (
    select
        click_id,
        affiliate_id,
        campaign_id,
        brand_id,
        clicked_at,
        ip_address,
        user_agent,
        device_id,
        country,
        sub_id,
        _batch_id,
        _ingested_at,
        _source,
        cast(ingest_date as date) as _ingest_date
    from landed
    where version_rank = 1
)

select * from final
