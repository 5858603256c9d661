-- depends_on: {{ ref('commission_ledger') }}
-- depends_on: {{ ref('affiliate_statements') }}
-- One row per affiliate and month: the funnel, deposits, revenue, LTV, commission cost,
-- chargebacks, fraud flags and retention of the players the affiliate brought (payout
-- attribution, rules §4). Every figure is a sum or a count over marts.player_daily_revenue,
-- marts.affiliate_daily_performance, marts.player_ltv and the finance books, so BI can
-- redo it by hand; each column's definition is in _affiliates__models.yml.
-- The commission books are monthly (tag monthly, `igw payout build`), this model is daily:
-- it reads them when they exist (commission columns are null before the first payout
-- build); the depends_on lines above keep the lineage, and the tag below makes the payout
-- build refresh this model after the statements (igw/payout.py MONTHLY_SELECTION). In a
-- unit test, the test's fixtures stand in for the books.
{{ config(tags=['refreshed_by_payouts']) }}
{%- set books_built = execute and model.resource_type == 'unit_test' %}
{%- if execute and not books_built %}
{%- set ledger_ref = ref('commission_ledger') %}
{%- set statements_ref = ref('affiliate_statements') %}
{%- set ledger_relation = adapter.get_relation(
    database=ledger_ref.database, schema=ledger_ref.schema, identifier=ledger_ref.identifier
) %}
{%- set statements_relation = adapter.get_relation(
    database=statements_ref.database, schema=statements_ref.schema, identifier=statements_ref.identifier
) %}
{%- set books_built = ledger_relation is not none and statements_relation is not none %}
{%- endif %}

with

performance as (
    select
        affiliate_id,
        activity_date,
        clicks,
        registrations,
        ftd_count,
        ngr
    from {{ ref('affiliate_daily_performance') }}
),

player_revenue as (
    select
        player_id,
        affiliate_id,
        activity_date,
        deposits,
        deposit_count,
        chargebacks,
        ngr,
        round_count
    from {{ ref('player_daily_revenue') }}
),

player_ltv as (
    select
        player_id,
        affiliate_id,
        first_deposit_date,
        is_ndc,
        ngr_90d
    from {{ ref('player_ltv') }}
    where is_ndc and affiliate_id is not null
),

fraud_flagged_players as (
    select distinct player_id
    from {{ ref('int_players__fraud_periods') }}
),

statements as (
    {% if books_built -%}
    select
        affiliate_id,
        period_month
    from {{ ref('affiliate_statements') }}
    {%- else -%}
    select
        cast(null as {{ dbt.type_string() }}) as affiliate_id,
        cast(null as date) as period_month
    where 1 = 0
    {%- endif %}
),

ledger as (
    {% if books_built -%}
    select
        affiliate_id,
        period_month,
        amount
    from {{ ref('commission_ledger') }}
    {%- else -%}
    select
        cast(null as {{ dbt.type_string() }}) as affiliate_id,
        cast(null as date) as period_month,
        cast(null as decimal(18, 2)) as amount
    where 1 = 0
    {%- endif %}
),

-- The last day the warehouse has activity for; the last month reported is its month.
as_of as (
    select max(activity_date) as as_of_date
    from player_revenue
),

performance_months as (
    select
        affiliate_id,
        {{ month_start('activity_date') }} as period_month,
        sum(clicks) as clicks,
        sum(registrations) as registrations,
        sum(ftd_count) as ndcs,
        sum(ngr) as affiliate_ngr
    from performance
    group by affiliate_id, {{ month_start('activity_date') }}
),

player_months as (
    select
        affiliate_id,
        player_id,
        {{ month_start('activity_date') }} as period_month,
        sum(deposits) as deposits,
        sum(deposit_count) as deposit_count,
        sum(chargebacks) as chargebacks,
        sum(ngr) as player_ngr,
        sum(round_count) as round_count
    from player_revenue
    where affiliate_id is not null
    group by affiliate_id, player_id, {{ month_start('activity_date') }}
),

revenue_months as (
    select
        affiliate_id,
        period_month,
        sum(deposits) as deposits,
        sum(deposit_count) as deposit_count,
        count(case when deposit_count > 0 then player_id end) as depositors,
        count(case when round_count > 0 then player_id end) as active_players,
        sum(player_ngr) as player_ngr,
        sum(chargebacks) as chargebacks
    from player_months
    group by affiliate_id, period_month
),

active_player_months as (
    select
        affiliate_id,
        player_id,
        period_month
    from player_months
    where round_count > 0
),

-- Players active in the month before, counted against the month after it.
previously_active as (
    select
        affiliate_id,
        cast({{ dbt.dateadd('month', 1, 'period_month') }} as date) as period_month,
        count(*) as previously_active_players
    from active_player_months
    group by affiliate_id, cast({{ dbt.dateadd('month', 1, 'period_month') }} as date)
),

retained as (
    select
        this_month.affiliate_id,
        this_month.period_month,
        count(*) as retained_players
    from active_player_months as this_month
    inner join active_player_months as month_before
        on
            this_month.affiliate_id = month_before.affiliate_id
            and this_month.player_id = month_before.player_id
            and cast({{ dbt.dateadd('month', 1, 'month_before.period_month') }} as date)
            = this_month.period_month
    group by this_month.affiliate_id, this_month.period_month
),

ndc_months as (
    select
        player_ltv.affiliate_id,
        {{ month_start('player_ltv.first_deposit_date') }} as period_month,
        count(fraud_flagged_players.player_id) as fraud_flagged_ndcs
    from player_ltv
    left join fraud_flagged_players on player_ltv.player_id = fraud_flagged_players.player_id
    group by player_ltv.affiliate_id, {{ month_start('player_ltv.first_deposit_date') }}
),

commission_months as (
    select
        statements.affiliate_id,
        statements.period_month,
        coalesce(sum(ledger.amount), 0) as commission_cost
    from statements
    left join ledger
        on
            statements.affiliate_id = ledger.affiliate_id
            and statements.period_month = ledger.period_month
    group by statements.affiliate_id, statements.period_month
),

-- An affiliate's months: from its first with any figure through the as_of_date's month.
affiliate_month_figures as (
    select
        affiliate_id,
        period_month
    from performance_months
    union all
    select
        affiliate_id,
        period_month
    from revenue_months
    union all
    select
        affiliate_id,
        period_month
    from ledger
),

first_months as (
    select
        affiliate_id,
        min(period_month) as first_month
    from affiliate_month_figures
    group by affiliate_id
),

-- 0, 1, 2, ...: month offsets for up to a century of months.
month_offsets as (
    select cast(generated_number as integer) - 1 as month_offset
    from ({{ dbt.generate_series(1200) }}) as series
),

affiliate_months as (
    select
        first_months.affiliate_id,
        cast({{ dbt.dateadd('month', 'month_offsets.month_offset', 'first_months.first_month') }} as date)
            as period_month,
        as_of.as_of_date
    from first_months
    cross join as_of
    inner join month_offsets
        on
            month_offsets.month_offset
            <= {{ dbt.datediff('first_months.first_month', month_start('as_of.as_of_date'), 'month') }}
),

-- 90-day LTV shown by the end of each month: the affiliate's NDCs whose window (first
-- deposit day 0 to day 89) had ended on or before the month's last day and as_of_date.
ltv_months as (
    select
        affiliate_months.affiliate_id,
        affiliate_months.period_month,
        count(*) as ltv_90d_players,
        sum(player_ltv.ngr_90d) as ngr_90d_total
    from affiliate_months
    inner join player_ltv
        on
            affiliate_months.affiliate_id = player_ltv.affiliate_id
            and cast({{ dbt.dateadd('day', 89, 'player_ltv.first_deposit_date') }} as date)
            <= {{ month_end('affiliate_months.period_month') }}
            and cast({{ dbt.dateadd('day', 89, 'player_ltv.first_deposit_date') }} as date)
            <= affiliate_months.as_of_date
    where player_ltv.ngr_90d is not null
    group by affiliate_months.affiliate_id, affiliate_months.period_month
),

combined as (
    select
        affiliate_months.affiliate_id,
        affiliate_months.period_month,
        coalesce(performance_months.clicks, 0) as clicks,
        coalesce(performance_months.registrations, 0) as registrations,
        coalesce(performance_months.ndcs, 0) as ndcs,
        coalesce(revenue_months.deposits, 0) as deposits,
        coalesce(revenue_months.deposit_count, 0) as deposit_count,
        coalesce(revenue_months.depositors, 0) as depositors,
        coalesce(revenue_months.active_players, 0) as active_players,
        coalesce(revenue_months.player_ngr, 0) as player_ngr,
        coalesce(performance_months.affiliate_ngr, 0) as affiliate_ngr,
        coalesce(ltv_months.ltv_90d_players, 0) as ltv_90d_players,
        ltv_months.ngr_90d_total,
        commission_months.commission_cost,
        coalesce(revenue_months.chargebacks, 0) as chargebacks,
        coalesce(ndc_months.fraud_flagged_ndcs, 0) as fraud_flagged_ndcs,
        coalesce(previously_active.previously_active_players, 0) as previously_active_players,
        coalesce(retained.retained_players, 0) as retained_players
    from affiliate_months
    left join performance_months
        on
            affiliate_months.affiliate_id = performance_months.affiliate_id
            and affiliate_months.period_month = performance_months.period_month
    left join revenue_months
        on
            affiliate_months.affiliate_id = revenue_months.affiliate_id
            and affiliate_months.period_month = revenue_months.period_month
    left join ltv_months
        on
            affiliate_months.affiliate_id = ltv_months.affiliate_id
            and affiliate_months.period_month = ltv_months.period_month
    left join commission_months
        on
            affiliate_months.affiliate_id = commission_months.affiliate_id
            and affiliate_months.period_month = commission_months.period_month
    left join ndc_months
        on
            affiliate_months.affiliate_id = ndc_months.affiliate_id
            and affiliate_months.period_month = ndc_months.period_month
    left join previously_active
        on
            affiliate_months.affiliate_id = previously_active.affiliate_id
            and affiliate_months.period_month = previously_active.period_month
    left join retained
        on
            affiliate_months.affiliate_id = retained.affiliate_id
            and affiliate_months.period_month = retained.period_month
),

rates as (
    select
        *,
        {{ divide_exact('registrations', 'clicks', 10) }} as click_to_registration_rate,
        {{ divide_exact('ndcs', 'registrations', 10) }} as registration_to_deposit_rate,
        {{ divide_exact('deposits', 'deposit_count', 10) }} as avg_deposit_per_deposit,
        {{ divide_exact('deposits', 'depositors', 10) }} as avg_deposit_per_depositor,
        {{ divide_exact('player_ngr', 'active_players', 10) }} as arpu,
        {{ divide_exact('ngr_90d_total', 'ltv_90d_players', 10) }} as ltv_90d,
        {{ divide_exact('commission_cost', 'ndcs', 10) }} as commission_per_ndc,
        -- (commission ÷ ndcs) ÷ (ngr_90d_total ÷ ltv_90d_players), from the unrounded figures
        case
            when ngr_90d_total > 0
                then {{ divide_exact('commission_cost * ltv_90d_players', 'ndcs * ngr_90d_total', 10) }}
        end as cpa_vs_ltv_ratio,
        case
            when deposits > 0 then {{ divide_exact('chargebacks', 'deposits', 10) }}
        end as chargeback_rate,
        {{ divide_exact('fraud_flagged_ndcs', 'ndcs', 10) }} as fraud_flag_rate,
        {{ divide_exact('retained_players', 'previously_active_players', 10) }} as retention_rate
    from combined
),

final as (
    select
        affiliate_id,
        period_month,
        cast(clicks as integer) as clicks,
        cast(registrations as integer) as registrations,
        cast(click_to_registration_rate as decimal(38, 10)) as click_to_registration_rate,
        cast(ndcs as integer) as ndcs,
        cast(registration_to_deposit_rate as decimal(38, 10)) as registration_to_deposit_rate,
        cast(deposits as {{ type_money() }}) as deposits,
        cast(deposit_count as integer) as deposit_count,
        cast(depositors as integer) as depositors,
        cast(avg_deposit_per_deposit as {{ type_money() }}) as avg_deposit_per_deposit,
        cast(avg_deposit_per_depositor as {{ type_money() }}) as avg_deposit_per_depositor,
        cast(active_players as integer) as active_players,
        cast(player_ngr as {{ type_money() }}) as player_ngr,
        cast(affiliate_ngr as {{ type_money() }}) as affiliate_ngr,
        cast(arpu as {{ type_money() }}) as arpu,
        cast(ltv_90d_players as integer) as ltv_90d_players,
        cast(ltv_90d as {{ type_money() }}) as ltv_90d,
        cast(commission_cost as {{ type_money() }}) as commission_cost,
        cast(commission_per_ndc as {{ type_money() }}) as commission_per_ndc,
        cast(cpa_vs_ltv_ratio as decimal(38, 10)) as cpa_vs_ltv_ratio,
        cast(chargebacks as {{ type_money() }}) as chargebacks,
        cast(chargeback_rate as decimal(38, 10)) as chargeback_rate,
        cast(fraud_flagged_ndcs as integer) as fraud_flagged_ndcs,
        cast(fraud_flag_rate as decimal(38, 10)) as fraud_flag_rate,
        cast(previously_active_players as integer) as previously_active_players,
        cast(retained_players as integer) as retained_players,
        cast(retention_rate as decimal(38, 10)) as retention_rate,
        cast(1 - retention_rate as decimal(38, 10)) as churn_rate
    from rates
)

select * from final
