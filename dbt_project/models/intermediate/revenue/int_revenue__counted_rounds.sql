-- Counted rounds (rules §2: current status settled) on their settlement day, converted to
-- the base currency at that day's rate. Rounds with no usable rate keep null base amounts
-- and are listed by int_revenue__unconvertible_amounts instead of counting as zero.
with

rounds as (
    select
        round_id,
        player_id,
        game_id,
        currency,
        stake_real,
        win_real,
        jackpot_contribution,
        -- A settled round should carry settled_at; where a vendor omits it, its last update is
        -- when it settled.
        {{ utc_date('coalesce(settled_at, updated_at)') }} as activity_date,
        _batch_id,
        _source
    from {{ ref('stg_games__rounds') }}
    where status = 'settled'
),

rates as (
    select * from {{ ref('int_fx__daily_rates') }}
),

with_rates as (
    select
        rounds.*,
        {{ rate_to_base('rounds.currency', 'rates') }} as rate_to_base
    from rounds
    left join rates
        on rounds.currency = rates.currency and rounds.activity_date = rates.rate_day
),

final as (
    select
        round_id,
        player_id,
        game_id,
        activity_date,
        currency,
        stake_real,
        win_real,
        jackpot_contribution,
        rate_to_base,
        cast(stake_real * rate_to_base as {{ type_money() }}) as stake_real_base,
        cast(win_real * rate_to_base as {{ type_money() }}) as win_real_base,
        cast(jackpot_contribution * rate_to_base as {{ type_money() }}) as jackpot_base,
        _batch_id,
        _source
    from with_rates
)

select * from final
