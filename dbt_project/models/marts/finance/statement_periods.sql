-- Monthly statements as booked (rules §11), one row per affiliate and month; public as
-- finance.affiliate_statements (with closed_at). A payout build replaces the open months,
-- chaining them from the first open month to the month built: carried in = what the
-- previous month carried out (a closed month's as it was closed); total = carried in + the
-- month's ledger entries; negative → negative_balance, zero or below min_payout →
-- under_limit, both carried; else payable, nothing carried. An affiliate has a statement
-- in a month where a deal applies to it, it has entries, or it carries a balance in.
{{
    config(
        materialized='incremental',
        incremental_strategy='replace_open_months',
        closures_model='payout_closures',
        full_refresh=false,
        on_schema_change='fail',
    )
}}
{% set months = payout_book_months(ref('int_commissions__payout_calendar')) %}
-- The chain CTEs exist only when months are booked, so outside a payout build (as when
-- linting) month_inputs and closed_carry look unused.
-- noqa: disable=ST03

with

calendar as (
    select * from {{ ref('int_commissions__payout_calendar') }}
),

ledger as (
    select * from {{ ref('commission_ledger') }}
),

periods as (
    select * from {{ ref('revshare_periods') }}
),

applicable_deals as (
    select * from {{ ref('int_commissions__applicable_deals') }}
),

affiliates as (
    select
        affiliate_id,
        status as affiliate_status,
        payout_currency
    from {{ ref('stg_affiliate__affiliates') }}
),

rates as (
    select * from {{ ref('int_fx__daily_rates') }}
),

closed_carry as (
    {% if is_incremental() -%}
    select
        closed.affiliate_id,
        case when closed.status = 'payable' then 0 else closed.total end as carried_out
    from {{ this }} as closed
    inner join calendar on closed.period_month = calendar.last_closed_month
    {%- else -%}
    select
        cast(null as {{ dbt.type_string() }}) as affiliate_id,
        cast(0 as decimal(18, 2)) as carried_out
    where 1 = 0
    {%- endif %}
),

min_payouts as (
    -- The all-brands deal's min_payout, else the highest of the brand deals' (rules §6).
    select
        affiliate_id,
        period_month,
        coalesce(
            max(case when is_all_brands_deal then min_payout end),
            max(min_payout)
        ) as min_payout
    from applicable_deals
    group by affiliate_id, period_month
),

entry_totals as (
    select
        affiliate_id,
        period_month,
        sum(case when entry_type = 'revshare' then amount else 0 end) as revshare_amount,
        count(case when entry_type = 'cpa' then 1 end) as cpa_count,
        sum(case when entry_type = 'cpa' then amount else 0 end) as cpa_amount,
        sum(case when entry_type = 'sub_affiliate' then amount else 0 end) as sub_affiliate_amount,
        sum(case when entry_type = 'clawback' then amount else 0 end) as clawback_amount,
        sum(case when entry_type = 'adjustment' then amount else 0 end) as adjustment_amount,
        sum(amount) as entries_total
    from ledger
    group by affiliate_id, period_month
),

month_inputs as (
    select
        coalesce(min_payouts.affiliate_id, entry_totals.affiliate_id) as affiliate_id,
        coalesce(min_payouts.period_month, entry_totals.period_month) as period_month,
        coalesce(min_payouts.min_payout, 0) as min_payout,
        coalesce(entry_totals.entries_total, 0) as entries_total
    from min_payouts
    full outer join entry_totals
        on
            min_payouts.affiliate_id = entry_totals.affiliate_id
            and min_payouts.period_month = entry_totals.period_month
),

{% for month in months -%}
{%- set previous = 'closed_carry' if loop.first else 'chain_' ~ (loop.index - 1) %}
chain_{{ loop.index }} as (
    select
        affiliate_id,
        period_month,
        carried_in,
        total,
        min_payout,
        case
            when total < 0 then 'negative_balance'
            when total = 0 or total < min_payout then 'under_limit'
            else 'payable'
        end as status,
        case when total < 0 or total = 0 or total < min_payout then total else 0 end as carried_out
    from (
        select
            coalesce(inputs.affiliate_id, carried.affiliate_id) as affiliate_id,
            cast('{{ month }}' as date) as period_month,
            coalesce(carried.carried_out, 0) as carried_in,
            coalesce(carried.carried_out, 0) + coalesce(inputs.entries_total, 0) as total,
            coalesce(inputs.min_payout, 0) as min_payout
        from (
            select * from month_inputs
            where period_month = cast('{{ month }}' as date)
        ) as inputs
        full outer join (
            select * from {{ previous }}
            where carried_out != 0
        ) as carried
            on inputs.affiliate_id = carried.affiliate_id
    ) as totals
),

{% endfor -%}

chained as (
    {% for month in months -%}
    select * from chain_{{ loop.index }}
    {% if not loop.last %}union all{% endif %}
    {% endfor -%}
    {%- if not months -%}
    select
        cast(null as {{ dbt.type_string() }}) as affiliate_id,
        cast(null as date) as period_month,
        cast(0 as decimal(18, 2)) as carried_in,
        cast(0 as decimal(18, 2)) as total,
        cast(0 as decimal(18, 2)) as min_payout,
        cast(null as {{ dbt.type_string() }}) as status,
        cast(0 as decimal(18, 2)) as carried_out
    where 1 = 0
    {%- endif %}
),

revshare_by_affiliate as (
    select
        affiliate_id,
        period_month,
        sum(affiliate_ngr) as affiliate_ngr,
        sum(case when revshare_base > 0 then revshare_base else 0 end) as positive_base,
        sum(revshare_amount_exact) as revshare_amount_exact
    from periods
    group by affiliate_id, period_month
),

statement_months as (
    select distinct period_month from chained
),

deal_carries as (
    -- Each deal's negative NGR carried out of its latest month up to each statement month.
    select
        periods.affiliate_id,
        periods.deal_id,
        statement_months.period_month,
        periods.carried_out_ngr,
        row_number() over (
            partition by periods.deal_id, statement_months.period_month
            order by periods.period_month desc
        ) as recency
    from periods
    inner join statement_months on periods.period_month <= statement_months.period_month
),

carried_negative as (
    select
        chained.affiliate_id,
        chained.period_month,
        sum(deal_carries.carried_out_ngr) as carried_negative_ngr
    from chained
    inner join deal_carries
        on
            chained.affiliate_id = deal_carries.affiliate_id
            and chained.period_month = deal_carries.period_month
            and deal_carries.recency = 1
    group by chained.affiliate_id, chained.period_month
),

final as (
    select
        chained.affiliate_id,
        chained.period_month,
        cast(coalesce(revshare_by_affiliate.affiliate_ngr, 0) as decimal(18, 4)) as affiliate_ngr,
        cast(
            case
                when revshare_by_affiliate.positive_base > 0
                    then {{ divide_exact(
                        'revshare_by_affiliate.revshare_amount_exact',
                        'revshare_by_affiliate.positive_base',
                        6,
                    ) }}
            end as decimal(18, 6)
        ) as revshare_rate,
        cast(coalesce(entry_totals.revshare_amount, 0) as decimal(18, 2)) as revshare_amount,
        cast(coalesce(entry_totals.cpa_count, 0) as integer) as cpa_count,
        cast(coalesce(entry_totals.cpa_amount, 0) as decimal(18, 2)) as cpa_amount,
        cast(coalesce(entry_totals.sub_affiliate_amount, 0) as decimal(18, 2)) as sub_affiliate_amount,
        cast(coalesce(entry_totals.clawback_amount, 0) as decimal(18, 2)) as clawback_amount,
        cast(coalesce(entry_totals.adjustment_amount, 0) as decimal(18, 2)) as adjustment_amount,
        cast(chained.carried_in as decimal(18, 2)) as carried_in,
        cast(coalesce(carried_negative.carried_negative_ngr, 0) as decimal(18, 4)) as carried_negative_ngr,
        cast(chained.total as decimal(18, 2)) as total,
        chained.status,
        coalesce(affiliates.payout_currency, '{{ var("base_currency") }}') as payout_currency,
        cast(
            {{ divide_exact(
                'chained.total',
                rate_to_base(
                    "coalesce(affiliates.payout_currency, '" ~ var('base_currency') ~ "')", 'rates'
                ),
                2,
            ) }} as decimal(18, 2)
        ) as total_in_payout_currency,
        affiliates.affiliate_status,
        cast(chained.min_payout as decimal(18, 2)) as min_payout,
        cast({{ dbt.current_timestamp() }} as timestamp) as built_at
    from chained
    left join entry_totals
        on
            chained.affiliate_id = entry_totals.affiliate_id
            and chained.period_month = entry_totals.period_month
    left join revshare_by_affiliate
        on
            chained.affiliate_id = revshare_by_affiliate.affiliate_id
            and chained.period_month = revshare_by_affiliate.period_month
    left join carried_negative
        on
            chained.affiliate_id = carried_negative.affiliate_id
            and chained.period_month = carried_negative.period_month
    left join affiliates on chained.affiliate_id = affiliates.affiliate_id
    left join rates
        on
            coalesce(affiliates.payout_currency, '{{ var("base_currency") }}') = rates.currency
            and {{ month_end('chained.period_month') }} = rates.rate_day
)

select * from final
