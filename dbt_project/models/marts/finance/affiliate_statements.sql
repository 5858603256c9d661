-- The monthly statements (rules §11), public: finance.statement_periods with closed_at,
-- null while the month is open (provisional) and the closing time once it is closed.
{{ config(materialized='view') }}

with

statements as (
    select * from {{ ref('statement_periods') }}
),

closures as (
    select * from {{ ref('payout_closures') }}
),

final as (
    select
        statements.affiliate_id,
        statements.period_month,
        statements.affiliate_ngr,
        statements.revshare_rate,
        statements.revshare_amount,
        statements.cpa_count,
        statements.cpa_amount,
        statements.sub_affiliate_amount,
        statements.clawback_amount,
        statements.adjustment_amount,
        statements.carried_in,
        statements.carried_negative_ngr,
        statements.total,
        statements.status,
        statements.payout_currency,
        statements.total_in_payout_currency,
        closures.closed_at,
        statements.affiliate_status,
        statements.min_payout
    from statements
    left join closures on statements.period_month = closures.period_month
)

select * from final
