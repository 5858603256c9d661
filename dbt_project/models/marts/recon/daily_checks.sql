-- The reconciliation, public (schema recon): one row per day, check and source, with the
-- expected and actual figures, their difference (actual − expected), the absolute
-- tolerance applied and the status (pass where |difference| ≤ tolerance). The checks are
-- the int_recon__*_checks models; the statement checks are read when the monthly payout
-- build has made them (which also refreshes them here, see int_recon__statement_checks).
-- Incremental: a build deletes and recomputes the days int_recon__check_days lists (the
-- days whose inputs landed in its window), whole; a full build computes every day.
{{
    config(
        materialized='incremental',
        incremental_strategy='replace_check_days',
        check_days_model='int_recon__check_days',
        on_schema_change='fail',
    )
}}
{%- set statement_checks = none %}
{%- if execute %}
    {%- set statement_checks = adapter.get_relation(
        database=this.database, schema='intermediate', identifier='int_recon__statement_checks'
    ) %}
{%- endif %}

-- check_days filters incremental builds only (a full build, as when linting, takes all).
with

check_days as (  -- noqa: ST03
    select check_date from {{ ref('int_recon__check_days') }}
),

settlement_checks as (
    select * from {{ ref('int_recon__settlement_checks') }}
),

provider_report_checks as (
    select * from {{ ref('int_recon__provider_report_checks') }}
),

orphan_checks as (
    select * from {{ ref('int_recon__orphan_checks') }}
),

unconvertible_checks as (
    select * from {{ ref('int_recon__unconvertible_checks') }}
),

delivery_checks as (
    select * from {{ ref('int_recon__delivery_checks') }}
),

revenue_checks as (
    select * from {{ ref('int_recon__revenue_checks') }}
),

statement_checks as (
    {% if statement_checks is not none -%}
    select * from {{ statement_checks }}
    {%- else -%}
    select * from revenue_checks
    where 1 = 0
    {%- endif %}
),

checks as (
    select * from settlement_checks
    union all
    select * from provider_report_checks
    union all
    select * from orphan_checks
    union all
    select * from unconvertible_checks
    union all
    select * from delivery_checks
    union all
    select * from revenue_checks
    union all
    select * from statement_checks
),

final as (
    select
        check_date,
        check_name,
        source,
        expected,
        actual,
        difference,
        tolerance,
        status,
        detail
    from checks
    {% if is_incremental() -%}
    where check_date in (select check_days.check_date from check_days)
    {%- endif %}
)

select * from final
