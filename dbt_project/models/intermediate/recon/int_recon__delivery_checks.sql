-- Deliveries per landing day (the ingest date) and entity, for the entities that landed
-- rows that day: duplicate deliveries (a record version landed again) and late arrivals
-- (rows an earlier ingestion run should have landed; see stg_landing__deliveries). Both
-- are normal under at-least-once delivery and harmless to the figures (a version counts
-- once; a late record reopens its day), so they are tolerated up to a share of the day's
-- landed rows of the entity (recon_duplicate_share, recon_late_share), at least
-- recon_delivery_min_rows: the check catches a vendor that sends everything twice or a
-- feed that falls behind, not the odd re-send.
{{ config(materialized='view') }}

with

deliveries as (
    select * from {{ ref('stg_landing__deliveries') }}
),

duplicates as (
    select
        {{ recon_check_columns(
            'ingest_date',
            "'duplicate_deliveries'",
            'entity',
            '0',
            'duplicate_rows',
            recon_share_tolerance('rows_landed', 'recon_duplicate_share', 'recon_delivery_min_rows'),
            "cast(duplicate_rows as " ~ dbt.type_string() ~ ") || ' of '
                || cast(rows_landed as " ~ dbt.type_string() ~ ")
                || ' rows landed were deliveries of a version landed before'",
        ) }}
    from deliveries
),

late as (
    select
        {{ recon_check_columns(
            'ingest_date',
            "'late_arrivals'",
            'entity',
            '0',
            'late_rows',
            recon_share_tolerance('rows_landed', 'recon_late_share', 'recon_delivery_min_rows'),
            "cast(late_rows as " ~ dbt.type_string() ~ ") || ' of '
                || cast(rows_landed as " ~ dbt.type_string() ~ ")
                || ' rows landed after an earlier run that should have landed them'",
        ) }}
    from deliveries
),

final as (
    select * from duplicates
    union all
    select * from late
)

select * from final
