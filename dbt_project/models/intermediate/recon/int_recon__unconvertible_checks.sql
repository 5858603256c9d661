-- Amounts with no usable FX rate (rules §1: held back from every figure, never counted as
-- zero, listed by the reconciliation), per day they belong to and entity: counted rounds,
-- transactions and converted bonuses. Expected 0; one row per entity for every day that
-- has any data. They fail beyond recon_unconvertible_tolerance (0): a figure is missing.
{{ config(materialized='view') }}

with

unconvertible as (
    select * from {{ ref('int_revenue__unconvertible_amounts') }}
),

calendar as (
    select check_date from {{ ref('int_recon__data_days') }}
),

entities as (
    select
        'games.rounds' as entity,
        'rounds' as noun
    union all
    select
        'payments.transactions' as entity,
        'transactions' as noun
    union all
    select
        'crm.bonuses' as entity,
        'converted bonuses' as noun
),

held_back as (
    select
        entity,
        activity_date,
        count(*) as record_count,
        min(currency) as first_currency,
        min(record_id) as first_record_id
    from unconvertible
    group by entity, activity_date
),

counted as (
    select
        calendar.check_date,
        entities.entity,
        entities.noun,
        coalesce(held_back.record_count, 0) as record_count,
        held_back.first_currency,
        held_back.first_record_id
    from calendar
    cross join entities
    left join held_back
        on
            calendar.check_date = held_back.activity_date
            and entities.entity = held_back.entity
),

final as (
    select
        {{ recon_check_columns(
            'check_date',
            "'unconvertible_amounts'",
            'entity',
            '0',
            'record_count',
            recon_tolerance('recon_unconvertible_tolerance'),
            "case
                when record_count = 0 then 'every counted ' || noun || ' amount converts'
                else cast(record_count as " ~ dbt.type_string() ~ ") || ' ' || noun
                    || ' held back: no usable FX rate (e.g. ' || first_record_id || ' in '
                    || first_currency || ')'
            end",
        ) }}
    from counted
)

select * from final
