-- The months a payout build books (rules §11), one row: the month built (var
-- payout_month), the latest closed month, and the first open month, the month after the
-- latest closed one (before any closing: the first month a deal applies to activity).
{% set payout_month = var('payout_month') %}

with

closures as (
    select * from {{ ref('payout_closures') }}
),

applicable_deals as (
    select * from {{ ref('int_commissions__applicable_deals') }}
),

closed as (
    select max(period_month) as last_closed_month
    from closures
),

activity as (
    select min(period_month) as first_activity_month
    from applicable_deals
),

final as (
    select
        cast({{ "'" ~ payout_month ~ "'" if payout_month else 'null' }} as date) as payout_month,
        closed.last_closed_month,
        coalesce(
            cast({{ dbt.dateadd('month', 1, 'closed.last_closed_month') }} as date),
            activity.first_activity_month
        ) as first_open_month
    from closed
    cross join activity
)

select * from final
