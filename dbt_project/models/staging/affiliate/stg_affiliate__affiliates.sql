-- Current version of each affiliate record (business-rules §2: highest updated_at, then
-- the latest landing), taken from its version history; the email is a keyed hash (§12).
{{ current_of_versions(
    ref("stg_affiliate__affiliates_versions"),
    [
        "affiliate_id", "name", "email_pseudonym", "country", "parent_affiliate_id", "status",
        "payout_currency", "created_at", "updated_at"
    ]
) }}
