-- Revenue share per deal and month (rules §7, §11), up to the month built.
-- Open months (from the first open month on): base = affiliate NGR + the negative balance
-- carried in (with negative_carryover), the carry chaining month to month from the one the
-- latest closed month carried out. Closed months are recomputed from today's data on the
-- carry they were booked with (carried balances of a closed month stay as they were), so
-- the booking can adjust a changed amount.
-- The carry is a running deficit, deficit(m) = max(0, deficit(m − 1) − ngr(m)): with
-- loss(m) the running sum of −ngr, deficit(m) = loss(m) − min(−opening deficit, the running
-- minimum of loss), which window functions compute without recursion.
with

calendar as (
    select * from {{ ref('int_commissions__payout_calendar') }}
),

deal_months as (
    select * from {{ ref('int_commissions__deal_months') }}
),

tiers as (
    select * from {{ ref('int_commissions__deal_tiers') }}
),

closed_periods as (
    {{ closed_book_rows(
        'revshare_periods',
        {
            'deal_id': dbt.type_string(),
            'period_month': 'date',
            'carried_in_ngr': type_money(),
            'carried_out_ngr': type_money(),
            'revshare_amount_exact': type_money(),
            'revshare_base': type_money(),
        },
        ref('payout_closures'),
    ) }}
),

opening_carry as (
    select
        deal_id,
        carried_out_ngr
    from (
        select
            deal_id,
            carried_out_ngr,
            row_number() over (partition by deal_id order by period_month desc) as recency
        from closed_periods
    ) as ranked
    where recency = 1
),

open_months as (
    select
        deal_months.*,
        case
            when deal_months.negative_carryover then -coalesce(opening_carry.carried_out_ngr, 0)
            else 0
        end as opening_deficit
    from deal_months
    cross join calendar
    left join opening_carry on deal_months.deal_id = opening_carry.deal_id
    where
        deal_months.period_month >= calendar.first_open_month
        and deal_months.period_month <= calendar.payout_month
),

running_losses as (
    select
        *,
        sum(-affiliate_ngr) over (
            partition by deal_id order by period_month rows unbounded preceding
        ) as running_loss
    from open_months
),

deficits as (
    select
        *,
        case
            when negative_carryover
                then running_loss - least(
                    -opening_deficit,
                    min(running_loss) over (
                        partition by deal_id order by period_month rows unbounded preceding
                    )
                )
            else 0
        end as deficit_out
    from running_losses
),

open_periods as (
    select
        deal_id,
        affiliate_id,
        period_month,
        false as is_closed_month,
        tier_basis,
        tier_method,
        negative_carryover,
        admin_fee_rate,
        players_ngr,
        players_ggr,
        admin_fee,
        affiliate_ngr,
        ndc_count,
        -lag(deficit_out, 1, opening_deficit) over (
            partition by deal_id order by period_month
        ) as carried_in_ngr,
        -deficit_out as carried_out_ngr,
        cast(null as {{ type_money() }}) as booked_amount_exact,
        cast(null as {{ type_money() }}) as booked_base
    from deficits
),

closed_carry as (
    -- A closed month's booked carry-in, or, for a deal-month that had no row when it was
    -- closed, what the deal's latest earlier closed month carried out.
    select
        deal_months.deal_id,
        deal_months.period_month,
        case
            when closed_periods.period_month = deal_months.period_month
                then closed_periods.carried_in_ngr
            else closed_periods.carried_out_ngr
        end as carried_in_ngr,
        case
            when closed_periods.period_month = deal_months.period_month
                then closed_periods.revshare_amount_exact
        end as booked_amount_exact,
        case
            when closed_periods.period_month = deal_months.period_month
                then closed_periods.revshare_base
        end as booked_base,
        row_number() over (
            partition by deal_months.deal_id, deal_months.period_month
            order by closed_periods.period_month desc
        ) as recency
    from deal_months
    inner join closed_periods
        on
            deal_months.deal_id = closed_periods.deal_id
            and deal_months.period_month >= closed_periods.period_month
),

closed_recomputed as (
    select
        deal_months.deal_id,
        deal_months.affiliate_id,
        deal_months.period_month,
        true as is_closed_month,
        deal_months.tier_basis,
        deal_months.tier_method,
        deal_months.negative_carryover,
        deal_months.admin_fee_rate,
        deal_months.players_ngr,
        deal_months.players_ggr,
        deal_months.admin_fee,
        deal_months.affiliate_ngr,
        deal_months.ndc_count,
        case
            when deal_months.negative_carryover then coalesce(closed_carry.carried_in_ngr, 0)
            else 0
        end as carried_in_ngr,
        cast(null as {{ type_money() }}) as carried_out_ngr,
        closed_carry.booked_amount_exact,
        closed_carry.booked_base
    from deal_months
    cross join calendar
    left join closed_carry
        on
            deal_months.deal_id = closed_carry.deal_id
            and deal_months.period_month = closed_carry.period_month
            and closed_carry.recency = 1
    where deal_months.period_month < calendar.first_open_month
),

periods as (
    select
        *,
        affiliate_ngr + carried_in_ngr as revshare_base
    from open_periods
    union all
    select
        *,
        affiliate_ngr + carried_in_ngr as revshare_base
    from closed_recomputed
),

tier_reached as (
    -- The tier is picked by the base (ngr) or the month's NDC count (ndc), a tier applying
    -- from its threshold upward; the ladder amount sums each band's slice of the base.
    select
        periods.deal_id,
        periods.period_month,
        max(
            case
                when
                    tiers.threshold
                    <= case
                        when periods.tier_basis = 'ndc' then periods.ndc_count
                        else periods.revshare_base
                    end
                    then tiers.tier_number
                else 1
            end
        ) as tier_number,
        sum(
            case
                when periods.revshare_base > tiers.threshold
                    then tiers.rate * (
                        case
                            when
                                tiers.next_threshold is not null
                                and tiers.next_threshold < periods.revshare_base
                                then tiers.next_threshold
                            else periods.revshare_base
                        end - tiers.threshold
                    )
                else 0
            end
        ) as ladder_amount
    from periods
    inner join tiers on periods.deal_id = tiers.deal_id
    group by periods.deal_id, periods.period_month
),

amounts as (
    select
        periods.*,
        tier_reached.tier_number,
        tiers.rate as tier_rate,
        cast(
            case
                when periods.revshare_base <= 0 then 0
                when periods.tier_method = 'ladder' then tier_reached.ladder_amount
                else periods.revshare_base * tiers.rate
            end as {{ type_money() }}
        ) as revshare_amount_exact
    from periods
    inner join tier_reached
        on
            periods.deal_id = tier_reached.deal_id
            and periods.period_month = tier_reached.period_month
    inner join tiers
        on
            tier_reached.deal_id = tiers.deal_id
            and tier_reached.tier_number = tiers.tier_number
),

final as (
    select
        deal_id,
        affiliate_id,
        period_month,
        is_closed_month,
        tier_basis,
        tier_method,
        negative_carryover,
        admin_fee_rate,
        players_ngr,
        players_ggr,
        admin_fee,
        affiliate_ngr,
        ndc_count,
        cast(carried_in_ngr as {{ type_money() }}) as carried_in_ngr,
        cast(revshare_base as {{ type_money() }}) as revshare_base,
        tier_number,
        tier_rate,
        revshare_amount_exact,
        cast({{ round_half_even('revshare_amount_exact', 2) }} as decimal(18, 2)) as revshare_amount,
        case
            when revshare_base > 0
                then cast({{ divide_exact('revshare_amount_exact', 'revshare_base', 6) }} as decimal(18, 6))
        end as applied_rate,
        booked_amount_exact,
        booked_base,
        cast(carried_out_ngr as {{ type_money() }}) as carried_out_ngr,
        {{ entry_id(["'revshare'", 'affiliate_id', 'period_month', 'deal_id']) }} as revshare_entry_id
    from amounts
)

select * from final
