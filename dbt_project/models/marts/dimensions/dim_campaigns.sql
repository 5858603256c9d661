-- Type-2 dimension of campaigns (public, schema marts): one row per version of each
-- campaign record (business-rules §2), valid from its updated_at up to the next version's.
with

versions as (
    select * from {{ ref('stg_affiliate__campaigns_versions') }}
),

final as (
    select
        {{ version_key('campaign_id') }} as campaign_version_key,
        campaign_id,
        affiliate_id,
        brand_id,
        name as campaign_name,
        traffic_source,
        created_at,
        updated_at,
        version_number,
        version_valid_from,
        version_valid_to,
        is_current_version
    from versions
)

select * from final
