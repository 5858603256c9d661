-- Every version of each player record (business-rules §2): one row per player_id and
-- updated_at. Identical re-deliveries and re-landings of a version count once: the latest
-- landing is kept (latest _ingested_at, then highest _batch_id). A version is valid from
-- its updated_at up to, not including, the next version's; the current one has no end.
-- The only model that reads the landed players: stg_crm__players (current version)
-- and the type-2 dimensions select from here.
-- No clear PII (§12): the email and the registration IP become keyed hashes
-- (macros/pseudonym.sql), the date of birth the age band at registration; the clear values
-- are in the restricted layer only (restricted.stg_crm__player_pii). A table, so the keyed
-- hash runs once per build and readers without the pseudonym function can read it.
{{ config(materialized="table") }}

with

versions as (
    {{ record_versions(
        source("crm", "players"),
        ["player_id"],
        [
            "player_id", "brand_id", "registered_at", "email", "date_of_birth", "country",
            "currency", "click_id", "device_id", "registration_ip", "kyc_status",
            "marketing_consent", "updated_at"
        ]
    ) }}
),

final as (
    select
        player_id,
        brand_id,
        registered_at,
        {{ email_pseudonym('email') }} as email_pseudonym,
        {{ age_band('date_of_birth', 'registered_at') }} as age_band,
        country,
        currency,
        click_id,
        device_id,
        {{ ip_pseudonym('registration_ip') }} as registration_ip_pseudonym,
        kyc_status,
        marketing_consent,
        updated_at,
        _batch_id,
        _ingested_at,
        _source,
        _ingest_date,
        version_number,
        version_valid_from,
        version_valid_to,
        is_current_version
    from versions
)

select * from final
