-- The warehouse against itself, per day: the sums of marts.player_daily_revenue equal the
-- sums of the counted, convertible records of that day (rules §5, base currency): GGR
-- from rounds, bonus cost from converted bonuses, chargebacks, payment fees, deposits
-- (and their count) and withdrawals from transaction movements, jackpot, gaming tax (the
-- player's market rate × the player's GGR of the day) and NGR. Expected: the records;
-- actual: the mart. They fail beyond recon_revenue_tolerance (0: the figures are exact).
{{ config(materialized='view') }}

{%- set measures = [
    'ggr', 'bonus_cost', 'chargebacks', 'payment_fees', 'jackpot', 'gaming_tax', 'ngr',
    'deposits', 'deposit_count', 'withdrawals',
] %}

with

rounds as (
    select * from {{ ref('int_revenue__counted_rounds') }}
    where is_counted and rate_to_base is not null
),

transactions as (
    select * from {{ ref('int_revenue__counted_transactions') }}
    where is_counted and rate_to_base is not null
),

bonuses as (
    select * from {{ ref('int_revenue__counted_bonus_conversions') }}
    where is_counted and rate_to_base is not null
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

mart as (
    select * from {{ ref('player_daily_revenue') }}
),

player_day_rounds as (
    select
        rounds.player_id,
        rounds.activity_date,
        sum(rounds.stake_real_base) - sum(rounds.win_real_base) as ggr,
        sum(rounds.jackpot_base) as jackpot
    from rounds
    group by rounds.player_id, rounds.activity_date
),

round_days as (
    select
        player_day_rounds.activity_date,
        sum(player_day_rounds.ggr) as ggr,
        sum(player_day_rounds.jackpot) as jackpot,
        sum(
            {{ recon_number('coalesce(tax_rates.gaming_tax_rate, 0) * player_day_rounds.ggr') }}
        ) as gaming_tax
    from player_day_rounds
    left join players on player_day_rounds.player_id = players.player_id
    left join tax_rates on players.country = tax_rates.country
    group by player_day_rounds.activity_date
),

transaction_days as (
    select
        activity_date,
        sum(case when kind = 'chargeback' then amount_base else 0 end) as chargebacks,
        sum(fee_amount_base) as payment_fees,
        sum(case when kind = 'deposit' then amount_base else 0 end) as deposits,
        sum(case when kind = 'deposit' and movement = 'counted' then 1 else 0 end)
            as deposit_count,
        sum(case when kind = 'withdrawal' then amount_base else 0 end) as withdrawals
    from transactions
    group by activity_date
),

bonus_days as (
    select
        activity_date,
        sum(amount_base) as bonus_cost
    from bonuses
    group by activity_date
),

mart_days as (
    select
        activity_date,
        {% for measure in measures -%}
        sum({{ measure }}) as {{ measure }}{% if not loop.last %},{% endif %}
        {% endfor %}
    from mart
    group by activity_date
),

days as (
    select activity_date from round_days
    union
    select activity_date from transaction_days
    union
    select activity_date from bonus_days
    union
    select activity_date from mart_days
),

expected as (
    select
        days.activity_date,
        coalesce(round_days.ggr, 0) as ggr,
        coalesce(bonus_days.bonus_cost, 0) as bonus_cost,
        coalesce(transaction_days.chargebacks, 0) as chargebacks,
        coalesce(transaction_days.payment_fees, 0) as payment_fees,
        coalesce(round_days.jackpot, 0) as jackpot,
        coalesce(round_days.gaming_tax, 0) as gaming_tax,
        coalesce(round_days.ggr, 0)
        - coalesce(bonus_days.bonus_cost, 0)
        - coalesce(transaction_days.chargebacks, 0)
        - coalesce(transaction_days.payment_fees, 0)
        - coalesce(round_days.jackpot, 0)
        - coalesce(round_days.gaming_tax, 0) as ngr,
        coalesce(transaction_days.deposits, 0) as deposits,
        coalesce(transaction_days.deposit_count, 0) as deposit_count,
        coalesce(transaction_days.withdrawals, 0) as withdrawals
    from days
    left join round_days on days.activity_date = round_days.activity_date
    left join transaction_days on days.activity_date = transaction_days.activity_date
    left join bonus_days on days.activity_date = bonus_days.activity_date
),

compared as (
    select
        expected.activity_date,
        {% for measure in measures -%}
        expected.{{ measure }} as expected_{{ measure }},
        coalesce(mart_days.{{ measure }}, 0) as actual_{{ measure }}{% if not loop.last %},{% endif %}
        {% endfor %}
    from expected
    left join mart_days on expected.activity_date = mart_days.activity_date
),

final as (
    {% for measure in measures -%}
    select
        {{ recon_check_columns(
            'activity_date',
            "'revenue_" ~ measure ~ "'",
            "'marts.player_daily_revenue'",
            'expected_' ~ measure,
            'actual_' ~ measure,
            recon_tolerance('recon_revenue_tolerance'),
            "'" ~ measure ~ " of the day: counted records vs marts.player_daily_revenue'",
        ) }}
    from compared
    {% if not loop.last %}union all
    {% endif -%}
    {%- endfor %}
)

select * from final
