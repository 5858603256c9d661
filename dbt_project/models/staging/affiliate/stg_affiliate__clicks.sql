-- Current version of each click (immutable: a re-delivery counts once), kept incrementally.
{{
    config(
        materialized="incremental",
        unique_key="click_id",
        on_schema_change="fail",
    )
}}

{{ incremental_current_version(
    source("affiliate", "clicks"),
    ["click_id"],
    [
        "click_id", "affiliate_id", "campaign_id", "brand_id", "clicked_at",
        "ip_address", "user_agent", "device_id", "country", "sub_id"
    ],
    none
) }}
