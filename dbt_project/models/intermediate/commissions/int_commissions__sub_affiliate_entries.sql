-- Sub-affiliate entries to book in the open months up to the month built (rules §10, §11):
-- a child affiliate's parent earns the child's sub_affiliate_rate × the child's commission
-- of the month (its revenue share, CPA, clawback and adjustment entries, before any minimum
-- payout) where that is positive; one level only. The rate is that of the child's
-- all-brands deal applying to the month, else the highest of its brand deals' (the rule
-- §6 uses for min_payout). For closed months, the amount recomputed from the closed
-- entries less what was booked becomes an adjustment in the first open month.
-- depends_on: {{ ref('payout_closures') }}
with

calendar as (
    select * from {{ ref('int_commissions__payout_calendar') }}
),

cpa_entries as (
    select * from {{ ref('int_commissions__cpa_entries') }}
),

revshare_entries as (
    select * from {{ ref('int_commissions__revshare_entries') }}
),

applicable_deals as (
    select * from {{ ref('int_commissions__applicable_deals') }}
),

affiliates as (
    select
        affiliate_id,
        parent_affiliate_id
    from {{ ref('stg_affiliate__affiliates') }}
    where parent_affiliate_id is not null
),

closed_ledger as (
    {{ closed_ledger_rows() }}
),

child_rates as (
    select
        affiliate_id,
        period_month,
        deal_id,
        sub_affiliate_rate
    from (
        select
            affiliate_id,
            period_month,
            deal_id,
            sub_affiliate_rate,
            row_number() over (
                partition by affiliate_id, period_month
                order by
                    case when is_all_brands_deal then 0 else 1 end,
                    sub_affiliate_rate desc,
                    deal_id desc
            ) as preference
        from applicable_deals
    ) as ranked
    where preference = 1
),

child_commissions as (
    -- Open months from this build's entries, closed months from the closed books.
    select
        affiliate_id,
        period_month,
        false as is_closed_month,
        sum(amount) as commission
    from (
        select
            affiliate_id,
            period_month,
            amount
        from cpa_entries
        union all
        select
            affiliate_id,
            period_month,
            amount
        from revshare_entries
    ) as open_entries
    group by affiliate_id, period_month
    union all
    select
        affiliate_id,
        period_month,
        true as is_closed_month,
        sum(amount) as commission
    from closed_ledger
    where entry_type in ('revshare', 'cpa', 'clawback', 'adjustment')
    group by affiliate_id, period_month
),

sub_affiliate_amounts as (
    select
        affiliates.parent_affiliate_id,
        child_commissions.affiliate_id as child_affiliate_id,
        child_commissions.period_month,
        child_commissions.is_closed_month,
        child_commissions.commission,
        child_rates.deal_id,
        child_rates.sub_affiliate_rate,
        cast(
            {{ round_half_even('child_rates.sub_affiliate_rate * child_commissions.commission', 2) }}
            as decimal(18, 2)
        ) as amount
    from child_commissions
    inner join affiliates on child_commissions.affiliate_id = affiliates.affiliate_id
    inner join child_rates
        on
            child_commissions.affiliate_id = child_rates.affiliate_id
            and child_commissions.period_month = child_rates.period_month
    where child_commissions.commission > 0 and child_rates.sub_affiliate_rate > 0
),

open_sub_affiliate as (
    select
        {{ entry_id(["'sub_affiliate'", 'parent_affiliate_id', 'period_month', 'child_affiliate_id']) }}
            as entry_id,
        parent_affiliate_id as affiliate_id,
        period_month,
        'sub_affiliate' as entry_type,
        amount,
        cast(null as {{ dbt.type_string() }}) as player_id,
        deal_id,
        cast(null as {{ dbt.type_string() }}) as reverses_entry_id,
        concat(
            'sub-affiliate ', child_affiliate_id, ': ',
            cast(sub_affiliate_rate as {{ dbt.type_string() }}), ' x its commission of ',
            cast(cast(commission as decimal(18, 2)) as {{ dbt.type_string() }}),
            ' (deal ', deal_id, ')'
        ) as reason,
        child_affiliate_id,
        period_month as source_month,
        cast(null as date) as source_date,
        cast(null as {{ dbt.type_string() }}) as source_record_id
    from sub_affiliate_amounts
    where amount > 0 and not is_closed_month
),

booked_for_closed_months as (
    select
        affiliate_id,
        child_affiliate_id,
        source_month,
        sum(amount) as booked_amount,
        max(case when entry_type = 'sub_affiliate' then entry_id end) as booked_entry_id
    from closed_ledger
    where
        entry_type = 'sub_affiliate'
        or (entry_type = 'adjustment' and child_affiliate_id is not null)
    group by affiliate_id, child_affiliate_id, source_month
),

recomputed_closed_months as (
    select * from sub_affiliate_amounts
    where is_closed_month
),

adjustment_differences as (
    select
        coalesce(recomputed.parent_affiliate_id, booked.affiliate_id) as affiliate_id,
        coalesce(recomputed.child_affiliate_id, booked.child_affiliate_id) as child_affiliate_id,
        coalesce(recomputed.period_month, booked.source_month) as adjusted_month,
        recomputed.deal_id,
        coalesce(recomputed.amount, 0) as recomputed_amount,
        coalesce(booked.booked_amount, 0) as booked_amount,
        booked.booked_entry_id,
        {{ entry_id(["'sub_affiliate'", 'coalesce(recomputed.parent_affiliate_id, booked.affiliate_id)',
            'coalesce(recomputed.period_month, booked.source_month)',
            'coalesce(recomputed.child_affiliate_id, booked.child_affiliate_id)']) }}
            as adjusted_entry_id
    from recomputed_closed_months as recomputed
    full outer join booked_for_closed_months as booked
        on
            recomputed.parent_affiliate_id = booked.affiliate_id
            and recomputed.child_affiliate_id = booked.child_affiliate_id
            and recomputed.period_month = booked.source_month
),

adjustments as (
    {% set adjustment_reason -%}
    concat(
        'sub-affiliate income from ', adjustment_differences.child_affiliate_id,
        ' for closed month ', cast(adjustment_differences.adjusted_month as {{ dbt.type_string() }}),
        ' recomputed: ', cast(adjustment_differences.recomputed_amount as {{ dbt.type_string() }}),
        ' less ', cast(adjustment_differences.booked_amount as {{ dbt.type_string() }}), ' booked'
    )
    {%- endset %}
    {{ adjustment_entries('adjustment_differences', adjustment_reason, 'adjustment_differences.child_affiliate_id') }}
),

final as (
    select * from open_sub_affiliate
    union all
    select * from adjustments
)

select * from final
