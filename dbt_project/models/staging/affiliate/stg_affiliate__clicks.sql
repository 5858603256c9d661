-- Current version of each click (immutable: a re-delivery counts once), kept incrementally.
-- The IP address is PII (§12): only its keyed hash is kept, computed as the click is read.
-- Nothing needs the clear address, so it stays in the landing zone.
{{
    config(
        materialized="incremental",
        unique_key="click_id",
        on_schema_change="fail",
    )
}}

{% set landed_clicks %}
    (
        select
            click_id,
            affiliate_id,
            campaign_id,
            brand_id,
            clicked_at,
            {{ ip_pseudonym('ip_address') }} as ip_pseudonym,
            user_agent,
            device_id,
            country,
            sub_id,
            _batch_id,
            _ingested_at,
            _source,
            ingest_date
        from {{ source("affiliate", "clicks") }}
    ) as landed_clicks
{% endset %}

{{ incremental_current_version(
    landed_clicks,
    ["click_id"],
    [
        "click_id", "affiliate_id", "campaign_id", "brand_id", "clicked_at",
        "ip_pseudonym", "user_agent", "device_id", "country", "sub_id"
    ],
    none
) }}
