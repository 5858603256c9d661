-- The restricted layer (business-rules §12): each affiliate's contact of its current
-- version (highest updated_at, then the latest landing, §2), one row per affiliate: the
-- clear-text email (PII) and the name. A view in the separate restricted.duckdb: it
-- stores nothing, it reads the landing zone when queried.
with

landed_affiliates as (
    {{ current_version(source('affiliate', 'affiliates'), ['affiliate_id'], 'updated_at') }}
),

final as (
    select
        affiliate_id,
        name,
        email,
        updated_at,
        _batch_id
    from landed_affiliates
    where version_rank = 1
)

select * from final
