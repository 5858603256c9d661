-- One row per player and day with activity, in the base currency (rules §5). affiliate_id
-- is the payout attribution; fraud exclusions apply to affiliate figures, not here.
-- A view over the incremental daily fact: the affiliate always follows the current
-- attribution (a player record landing after its rounds), with nothing to rebuild.
{{ config(materialized="view") }}
with

daily as (
    select * from {{ ref('int_revenue__player_daily') }}
),

attribution as (
    select
        player_id,
        affiliate_id
    from {{ ref('int_attribution__payout') }}
),

final as (
    select
        daily.player_id,
        daily.activity_date,
        attribution.affiliate_id,
        daily.stakes_real,
        daily.wins_real,
        daily.ggr,
        daily.bonus_cost,
        daily.chargebacks,
        daily.payment_fees,
        daily.jackpot,
        daily.gaming_tax,
        daily.ngr,
        daily.deposits,
        daily.deposit_count,
        daily.withdrawals,
        daily.round_count
    from daily
    left join attribution on daily.player_id = attribution.player_id
)

select * from final
