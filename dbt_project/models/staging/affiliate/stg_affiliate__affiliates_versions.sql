-- Every version of each affiliate record (business-rules §2): one row per affiliate_id and
-- updated_at. Identical re-deliveries and re-landings of a version count once: the latest
-- landing is kept (latest _ingested_at, then highest _batch_id). A version is valid from
-- its updated_at up to, not including, the next version's; the current one has no end.
-- The only model that reads the landed affiliates: stg_affiliate__affiliates (current version)
-- and the type-2 dimensions select from here.
-- The email is PII (§12): a keyed hash here, clear only in the restricted layer
-- (restricted.stg_affiliate__affiliate_contacts). A table, so the keyed hash runs once per
-- build and readers without the pseudonym function can read it.
{{ config(materialized="table") }}

with

versions as (
    {{ record_versions(
        source("affiliate", "affiliates"),
        ["affiliate_id"],
        [
            "affiliate_id", "name", "email", "country", "parent_affiliate_id", "status",
            "payout_currency", "created_at", "updated_at"
        ]
    ) }}
),

final as (
    select
        affiliate_id,
        name,
        {{ email_pseudonym('email') }} as email_pseudonym,
        country,
        parent_affiliate_id,
        status,
        payout_currency,
        created_at,
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
