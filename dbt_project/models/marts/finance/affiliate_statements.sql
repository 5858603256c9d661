{{
    config(
        materialized='incremental',
        unique_key=['affiliate_id', 'period_month'],
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        full_refresh=false,
    )
}}
-- Monthly statements (rules §11), built one month at a time by `igw payout build`
-- (var payout_month): the balance carried in from the previous month's statement plus the
-- month's ledger entries. `full_refresh=false`: a --full-refresh never drops statements.
{% set building = var('payout_month') is not none %}
{% set payout_month = var('payout_month') or '1900-01-01' %}

with

entries as (
    select * from {{ ref('int_commissions__ledger_entries') }}
    where period_month = cast('{{ payout_month }}' as date)
),

revshare as (
    select * from {{ ref('int_commissions__revshare_monthly') }}
    where period_month = cast('{{ payout_month }}' as date)
),

applicable_deals as (
    select * from {{ ref('int_commissions__applicable_deals') }}
    where period_month = cast('{{ payout_month }}' as date)
),

affiliates as (
    select
        affiliate_id,
        payout_currency
    from {{ ref('stg_affiliate__affiliates') }}
),

rates as (
    select * from {{ ref('int_fx__daily_rates') }}
    where rate_day = {{ month_end("cast('" ~ payout_month ~ "' as date)") }}
),

previous_statements as (
    {% if is_incremental() %}
        select
            affiliate_id,
            case when status = 'payable' then 0 else total end as carried_out
        from {{ this }}
        where
            period_month
            = cast({{ dbt.dateadd('month', -1, "cast('" ~ payout_month ~ "' as date)") }} as date)
    {% else %}
    select
        cast(null as {{ dbt.type_string() }}) as affiliate_id,
        cast(0 as decimal(18, 2)) as carried_out
    where 1 = 0
    {% endif %}
),

min_payouts as (
    select
        affiliate_id,
        coalesce(
            max(case when is_all_brands_deal then min_payout end),
            max(min_payout)
        ) as min_payout
    from applicable_deals
    group by affiliate_id
),

revshare_by_affiliate as (
    select
        affiliate_id,
        sum(affiliate_ngr) as affiliate_ngr,
        sum(case when affiliate_ngr > 0 then affiliate_ngr else 0 end) as positive_base,
        sum(revshare_amount_exact) as revshare_amount_exact
    from revshare
    group by affiliate_id
),

entries_by_affiliate as (
    select
        affiliate_id,
        sum(case when entry_type = 'revshare' then amount else 0 end) as revshare_amount,
        count(case when entry_type = 'cpa' then 1 end) as cpa_count,
        sum(case when entry_type = 'cpa' then amount else 0 end) as cpa_amount,
        sum(case when entry_type = 'sub_affiliate' then amount else 0 end) as sub_affiliate_amount,
        sum(case when entry_type = 'clawback' then amount else 0 end) as clawback_amount,
        sum(case when entry_type = 'adjustment' then amount else 0 end) as adjustment_amount,
        sum(amount) as entries_total
    from entries
    group by affiliate_id
),

statement_affiliates as (
    select affiliate_id from min_payouts
    union
    select affiliate_id from entries_by_affiliate
    union
    select affiliate_id from previous_statements
    where carried_out != 0
),

totals as (
    select
        statement_affiliates.affiliate_id,
        cast('{{ payout_month }}' as date) as period_month,
        coalesce(revshare_by_affiliate.affiliate_ngr, 0) as affiliate_ngr,
        case
            when revshare_by_affiliate.positive_base > 0
                then revshare_by_affiliate.revshare_amount_exact / revshare_by_affiliate.positive_base
        end as revshare_rate,
        coalesce(entries_by_affiliate.revshare_amount, 0) as revshare_amount,
        coalesce(entries_by_affiliate.cpa_count, 0) as cpa_count,
        coalesce(entries_by_affiliate.cpa_amount, 0) as cpa_amount,
        coalesce(entries_by_affiliate.sub_affiliate_amount, 0) as sub_affiliate_amount,
        coalesce(entries_by_affiliate.clawback_amount, 0) as clawback_amount,
        coalesce(entries_by_affiliate.adjustment_amount, 0) as adjustment_amount,
        coalesce(previous_statements.carried_out, 0) as carried_in,
        coalesce(previous_statements.carried_out, 0)
        + coalesce(entries_by_affiliate.entries_total, 0) as total,
        coalesce(min_payouts.min_payout, 0) as min_payout,
        coalesce(affiliates.payout_currency, '{{ var("base_currency") }}') as payout_currency
    from statement_affiliates
    left join revshare_by_affiliate
        on statement_affiliates.affiliate_id = revshare_by_affiliate.affiliate_id
    left join entries_by_affiliate
        on statement_affiliates.affiliate_id = entries_by_affiliate.affiliate_id
    left join previous_statements
        on statement_affiliates.affiliate_id = previous_statements.affiliate_id
    left join min_payouts on statement_affiliates.affiliate_id = min_payouts.affiliate_id
    left join affiliates on statement_affiliates.affiliate_id = affiliates.affiliate_id
),

final as (
    select
        totals.affiliate_id,
        totals.period_month,
        cast(totals.affiliate_ngr as decimal(18, 4)) as affiliate_ngr,
        cast(totals.revshare_rate as decimal(18, 6)) as revshare_rate,
        cast(totals.revshare_amount as decimal(18, 2)) as revshare_amount,
        cast(totals.cpa_count as integer) as cpa_count,
        cast(totals.cpa_amount as decimal(18, 2)) as cpa_amount,
        cast(totals.sub_affiliate_amount as decimal(18, 2)) as sub_affiliate_amount,
        cast(totals.clawback_amount as decimal(18, 2)) as clawback_amount,
        cast(totals.adjustment_amount as decimal(18, 2)) as adjustment_amount,
        cast(totals.carried_in as decimal(18, 2)) as carried_in,
        cast(0 as decimal(18, 4)) as carried_negative_ngr,
        cast(totals.total as decimal(18, 2)) as total,
        case
            when totals.total < 0 then 'negative_balance'
            when totals.total = 0 or totals.total < totals.min_payout then 'under_limit'
            else 'payable'
        end as status,
        totals.payout_currency,
        cast(
            {{ round_half_even('totals.total / ' ~ rate_to_base('totals.payout_currency', 'rates'), 2) }}
            as decimal(18, 2)
        ) as total_in_payout_currency,
        cast(null as timestamp) as closed_at
    from totals
    left join rates on totals.payout_currency = rates.currency
    {% if not building %}
    where 1 = 0
    {% endif %}
)

select * from final
