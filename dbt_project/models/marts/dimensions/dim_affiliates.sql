-- Type-2 dimension of affiliates (public, schema marts): one row per version of each
-- affiliate record (business-rules §2), valid from its updated_at up to the next version's.
-- The email is PII (§12): only its keyed hash is here. The affiliate's name is left to
-- staging and the restricted layer (it can name a person).
with

versions as (
    select * from {{ ref('stg_affiliate__affiliates_versions') }}
),

final as (
    select
        {{ version_key('affiliate_id') }} as affiliate_version_key,
        affiliate_id,
        parent_affiliate_id,
        status,
        payout_currency,
        country,
        email_pseudonym,
        created_at,
        updated_at,
        version_number,
        version_valid_from,
        version_valid_to,
        is_current_version
    from versions
)

select * from final
