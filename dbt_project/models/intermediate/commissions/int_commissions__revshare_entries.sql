-- Revenue-share entries to book in the open months up to the month built (rules §7, §9, §11):
--   - each open month's revenue share per deal, where positive;
--   - fraud clawbacks: a player flagged on day f reverses, for each earlier month whose last
--     day is within clawback_days before f, that month's applied rate × the player's
--     positive NGR of the month, naming that month's revenue-share entry; booked in f's
--     month, or the first open month;
--   - adjustments: a closed month's revenue share recomputed from today's data on its
--     booked carry, less what was booked for it (the entry and earlier adjustments), booked
--     in the first open month and naming the entry it adjusts.
-- depends_on: {{ ref('payout_closures') }}
with

calendar as (
    select * from {{ ref('int_commissions__payout_calendar') }}
),

periods as (
    select * from {{ ref('int_commissions__revshare_periods') }}
),

applicable_deals as (
    select * from {{ ref('int_commissions__applicable_deals') }}
    where plan_type in ('revshare', 'hybrid')
),

player_monthly as (
    select * from {{ ref('int_commissions__player_monthly') }}
),

flags as (
    select
        event_id,
        player_id,
        {{ utc_date('occurred_at') }} as flag_date
    from {{ ref('stg_crm__player_events') }}
    where event_type = 'fraud_flagged'
),

closed_ledger as (
    {{ closed_ledger_rows() }}
),

revshare as (
    select
        periods.revshare_entry_id as entry_id,
        periods.affiliate_id,
        periods.period_month,
        'revshare' as entry_type,
        periods.revshare_amount as amount,
        cast(null as {{ dbt.type_string() }}) as player_id,
        periods.deal_id,
        cast(null as {{ dbt.type_string() }}) as reverses_entry_id,
        concat(
            'revenue share of deal ', periods.deal_id, ': ',
            cast(periods.applied_rate as {{ dbt.type_string() }}), ' of base ',
            cast(cast(periods.revshare_base as decimal(18, 2)) as {{ dbt.type_string() }}),
            ' (affiliate NGR ',
            cast(cast(periods.affiliate_ngr as decimal(18, 2)) as {{ dbt.type_string() }}),
            ', carried in ',
            cast(cast(periods.carried_in_ngr as decimal(18, 2)) as {{ dbt.type_string() }}),
            '; ', periods.tier_method, ' tier ', cast(periods.tier_number as {{ dbt.type_string() }}),
            ' by ', periods.tier_basis, ')'
        ) as reason,
        cast(null as {{ dbt.type_string() }}) as child_affiliate_id,
        periods.period_month as source_month,
        cast(null as date) as source_date,
        cast(null as {{ dbt.type_string() }}) as source_record_id
    from periods
    where not periods.is_closed_month and periods.revshare_amount > 0
),

reversible_months as (
    -- The months a flag reaches back to, with the revenue-share entry they were paid in:
    -- a closed month's as booked (its booked applied rate), an open month's as booked now.
    select
        flags.event_id,
        flags.player_id,
        flags.flag_date,
        player_monthly.affiliate_id,
        player_monthly.period_month as reversed_month,
        player_monthly.ngr,
        periods.deal_id,
        periods.revshare_entry_id,
        -- a closed month's rate as booked: its booked amount ÷ its booked base
        case
            when periods.is_closed_month then periods.booked_amount_exact
            else periods.revshare_amount_exact
        end as month_amount_exact,
        case
            when periods.is_closed_month then periods.booked_base
            else periods.revshare_base
        end as month_base,
        periods.is_closed_month
    from flags
    inner join player_monthly
        on
            flags.player_id = player_monthly.player_id
            and player_monthly.period_month < {{ month_start('flags.flag_date') }}
            and player_monthly.ngr > 0
    inner join applicable_deals
        on
            player_monthly.affiliate_id = applicable_deals.affiliate_id
            and player_monthly.brand_id = applicable_deals.brand_id
            and player_monthly.period_month = applicable_deals.period_month
    inner join periods
        on
            applicable_deals.deal_id = periods.deal_id
            and player_monthly.period_month = periods.period_month
    where
        {{ month_end('player_monthly.period_month') }}
        >= {{ dbt.dateadd('day', '-applicable_deals.clawback_days', 'flags.flag_date') }}
),

reversals as (
    select *
    from (
        select
            reversible_months.*,
            row_number() over (
                partition by reversible_months.player_id, reversible_months.revshare_entry_id
                order by reversible_months.flag_date, reversible_months.event_id
            ) as flag_rank
        from reversible_months
        where
            reversible_months.month_amount_exact > 0
            and reversible_months.month_base > 0
            and (
                not reversible_months.is_closed_month
                or reversible_months.revshare_entry_id in (
                    select closed_ledger.entry_id
                    from closed_ledger
                    where closed_ledger.entry_type = 'revshare'
                )
            )
    ) as ranked
    where flag_rank = 1
),

fraud_clawback_candidates as (
    select
        {{ entry_id([
            "'clawback'", 'reversals.affiliate_id', 'reversals.player_id', 'reversals.revshare_entry_id'
        ]) }}
            as entry_id,
        reversals.affiliate_id,
        {{ booking_month(month_start('reversals.flag_date'), 'calendar.first_open_month') }}
            as period_month,
        'clawback' as entry_type,
        -- applied rate × NGR, exact until booked: amount × NGR ÷ base
        -cast(
            {{ divide_exact('reversals.month_amount_exact * reversals.ngr', 'reversals.month_base', 2) }}
            as decimal(18, 2)
        ) as amount,
        reversals.player_id,
        reversals.deal_id,
        reversals.revshare_entry_id as reverses_entry_id,
        concat(
            'player ', reversals.player_id, ' fraud-flagged on ',
            cast(reversals.flag_date as {{ dbt.type_string() }}), ' (event ', reversals.event_id,
            '): revenue share of ',
            cast(reversals.reversed_month as {{ dbt.type_string() }}), ' reversed, ',
            cast(
                {{ divide_exact('reversals.month_amount_exact', 'reversals.month_base', 6) }}
                as {{ dbt.type_string() }}
            ), ' x player NGR ',
            cast(cast(reversals.ngr as decimal(18, 2)) as {{ dbt.type_string() }})
        ) as reason,
        cast(null as {{ dbt.type_string() }}) as child_affiliate_id,
        {{ month_start('reversals.flag_date') }} as source_month,
        reversals.flag_date as source_date,
        reversals.event_id as source_record_id
    from reversals
    cross join calendar
    where reversals.revshare_entry_id is not null
),

fraud_clawbacks as (
    select * from fraud_clawback_candidates
    where
        entry_id not in (
            select closed_ledger.entry_id from closed_ledger
            where closed_ledger.entry_type = 'clawback'
        )
),

booked_for_closed_months as (
    -- What the closed books hold for each deal-month's revenue share: the entry and the
    -- adjustments of it (adjustments of revenue share name no child affiliate).
    select
        affiliate_id,
        deal_id,
        source_month,
        sum(amount) as booked_amount,
        max(case when entry_type = 'revshare' then entry_id end) as booked_entry_id
    from closed_ledger
    where
        entry_type = 'revshare'
        or (entry_type = 'adjustment' and child_affiliate_id is null)
    group by affiliate_id, deal_id, source_month
),

recomputed_closed_months as (
    select
        affiliate_id,
        deal_id,
        period_month,
        revshare_amount,
        revshare_entry_id,
        revshare_base,
        applied_rate
    from periods
    where is_closed_month
),

adjustment_differences as (
    select
        coalesce(recomputed.affiliate_id, booked.affiliate_id) as affiliate_id,
        coalesce(recomputed.deal_id, booked.deal_id) as deal_id,
        coalesce(recomputed.period_month, booked.source_month) as adjusted_month,
        coalesce(recomputed.revshare_amount, 0) as recomputed_amount,
        coalesce(booked.booked_amount, 0) as booked_amount,
        booked.booked_entry_id,
        {{ entry_id(["'revshare'", 'coalesce(recomputed.affiliate_id, booked.affiliate_id)',
            'coalesce(recomputed.period_month, booked.source_month)',
            'coalesce(recomputed.deal_id, booked.deal_id)']) }} as adjusted_entry_id
    from recomputed_closed_months as recomputed
    full outer join booked_for_closed_months as booked
        on
            recomputed.deal_id = booked.deal_id
            and recomputed.period_month = booked.source_month
            and recomputed.affiliate_id = booked.affiliate_id
),

adjustments as (
    {% set adjustment_reason -%}
    concat(
        'revenue share of deal ', adjustment_differences.deal_id, ' for closed month ',
        cast(adjustment_differences.adjusted_month as {{ dbt.type_string() }}),
        ' recomputed with data landed since: ',
        cast(adjustment_differences.recomputed_amount as {{ dbt.type_string() }}),
        ' less ', cast(adjustment_differences.booked_amount as {{ dbt.type_string() }}),
        ' booked',
        case
            when adjustment_differences.booked_entry_id is null
                then ' (no revenue share was booked for it)'
            else ''
        end
    )
    {%- endset %}
    {{ adjustment_entries('adjustment_differences', adjustment_reason, "cast(null as " ~ dbt.type_string() ~ ")") }}
),

final as (
    select entries.*
    from (
        select * from revshare
        union all
        select * from fraud_clawbacks
        union all
        select * from adjustments
    ) as entries
    cross join calendar
    where entries.period_month <= calendar.payout_month
)

select * from final
