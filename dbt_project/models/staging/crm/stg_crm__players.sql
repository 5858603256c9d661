-- Current version of each player record (highest updated_at, then latest landing).
with

landed as (
    {{ current_version(source('crm', 'players'), ['player_id'], 'updated_at') }}
),

final as (
    select
        player_id,
        brand_id,
        registered_at,
        email,
        date_of_birth,
        country,
        currency,
        click_id,
        device_id,
        registration_ip,
        kyc_status,
        marketing_consent,
        updated_at,
        _batch_id,
        _ingested_at,
        _source,
        cast(ingest_date as date) as _ingest_date
    from landed
    where version_rank = 1
)

select * from final
