-- Gaming revenue per player per day in the base currency (rules §5), over convertible
-- counted records only. Deposits and withdrawals are reported but enter neither GGR nor NGR.
-- round_count counts the rounds behind stakes_real and wins_real (a player is active on a
-- day with round_count > 0).
-- Incremental: a build deletes and recomputes the days int_revenue__reopened_days lists,
-- whole, so a day whose last round was cancelled loses its rows too.
-- depends_on: {{ ref('int_revenue__reopened_days') }}
{{
    config(
        materialized="incremental",
        incremental_strategy="replace_days",
        reopened_days_model="int_revenue__reopened_days",
        day_column="activity_date",
        on_schema_change="fail",
    )
}}

with

{% if is_incremental() -%}
reopened_days as (
    select reopened_date from {{ ref('int_revenue__reopened_days') }}
),
{%- endif %}

rounds as (
    select
        player_id,
        activity_date,
        sum(stake_real_base) as stakes_real,
        sum(win_real_base) as wins_real,
        sum(jackpot_base) as jackpot,
        count(*) as round_count
    from {{ ref('int_revenue__counted_rounds') }}
    where
        is_counted
        and rate_to_base is not null
    {% if is_incremental() -%}
        and activity_date in (select reopened_date from reopened_days)
    {%- endif %}
    group by player_id, activity_date
),

transactions as (
    select
        player_id,
        activity_date,
        sum(case when kind = 'chargeback' then amount_base else 0 end) as chargebacks,
        sum(fee_amount_base) as payment_fees,
        sum(case when kind = 'deposit' then amount_base else 0 end) as deposits,
        sum(case when kind = 'deposit' and movement = 'counted' then 1 else 0 end)
            as deposit_count,
        sum(case when kind = 'withdrawal' then amount_base else 0 end) as withdrawals
    from {{ ref('int_revenue__counted_transactions') }}
    where
        is_counted
        and rate_to_base is not null
    {% if is_incremental() -%}
        and activity_date in (select reopened_date from reopened_days)
    {%- endif %}
    group by player_id, activity_date
),

bonuses as (
    select
        player_id,
        activity_date,
        sum(amount_base) as bonus_cost
    from {{ ref('int_revenue__counted_bonus_conversions') }}
    where
        is_counted
        and rate_to_base is not null
    {% if is_incremental() -%}
        and activity_date in (select reopened_date from reopened_days)
    {%- endif %}
    group by player_id, activity_date
),

player_days as (
    select
        player_id,
        activity_date
    from rounds
    union
    select
        player_id,
        activity_date
    from transactions
    union
    select
        player_id,
        activity_date
    from bonuses
),

players as (
    select
        player_id,
        country
    from {{ ref('stg_crm__players') }}
),

tax_rates as (
    select
        country,
        gaming_tax_rate
    from {{ ref('gaming_tax_rates') }}
),

combined as (
    select
        player_days.player_id,
        player_days.activity_date,
        coalesce(rounds.stakes_real, 0) as stakes_real,
        coalesce(rounds.wins_real, 0) as wins_real,
        coalesce(rounds.stakes_real, 0) - coalesce(rounds.wins_real, 0) as ggr,
        coalesce(bonuses.bonus_cost, 0) as bonus_cost,
        coalesce(transactions.chargebacks, 0) as chargebacks,
        coalesce(transactions.payment_fees, 0) as payment_fees,
        coalesce(rounds.jackpot, 0) as jackpot,
        coalesce(tax_rates.gaming_tax_rate, 0) as gaming_tax_rate,
        coalesce(transactions.deposits, 0) as deposits,
        coalesce(transactions.deposit_count, 0) as deposit_count,
        coalesce(transactions.withdrawals, 0) as withdrawals,
        coalesce(rounds.round_count, 0) as round_count
    from player_days
    left join rounds
        on
            player_days.player_id = rounds.player_id
            and player_days.activity_date = rounds.activity_date
    left join transactions
        on
            player_days.player_id = transactions.player_id
            and player_days.activity_date = transactions.activity_date
    left join bonuses
        on
            player_days.player_id = bonuses.player_id
            and player_days.activity_date = bonuses.activity_date
    left join players on player_days.player_id = players.player_id
    left join tax_rates on players.country = tax_rates.country
),

final as (
    select
        player_id,
        activity_date,
        cast(stakes_real as {{ type_money() }}) as stakes_real,
        cast(wins_real as {{ type_money() }}) as wins_real,
        cast(ggr as {{ type_money() }}) as ggr,
        cast(bonus_cost as {{ type_money() }}) as bonus_cost,
        cast(chargebacks as {{ type_money() }}) as chargebacks,
        cast(payment_fees as {{ type_money() }}) as payment_fees,
        cast(jackpot as {{ type_money() }}) as jackpot,
        cast(gaming_tax_rate * ggr as {{ type_money() }}) as gaming_tax,
        cast(
            ggr - bonus_cost - chargebacks - payment_fees - jackpot - gaming_tax_rate * ggr
            as {{ type_money() }}
        ) as ngr,
        cast(deposits as {{ type_money() }}) as deposits,
        cast(deposit_count as integer) as deposit_count,
        cast(withdrawals as {{ type_money() }}) as withdrawals,
        cast(round_count as integer) as round_count
    from combined
)

select * from final
