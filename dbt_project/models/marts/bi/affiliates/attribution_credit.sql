-- How each attribution model would value each affiliate, per month (rules §4, last bullet:
-- analysis only, never for payouts). A player's credit under a model is the sum of the
-- credits int_attribution__analysis_credit gives that model for the player's clicks of the
-- affiliate; `payout` gives 1 to the payout-attributed affiliate, for comparison. Each
-- player-month figure (registered that month, first deposit that month as an NDC, player
-- NGR of the month) is multiplied by the credit and summed per affiliate, month and model.
with

analysis_credit as (
    select
        player_id,
        affiliate_id,
        first_click_credit,
        last_click_credit,
        linear_credit,
        time_decay_credit,
        position_based_credit
    from {{ ref('int_attribution__analysis_credit') }}
    where affiliate_id is not null
),

payout_attribution as (
    select
        player_id,
        affiliate_id,
        registered_at
    from {{ ref('int_attribution__payout') }}
),

first_deposits as (
    select
        player_id,
        first_deposit_month
    from {{ ref('int_players__first_deposits') }}
    where is_ndc
),

player_revenue as (
    select
        player_id,
        activity_date,
        ngr
    from {{ ref('player_daily_revenue') }}
),

-- One row per player, affiliate and model: the player's credit to the affiliate.
{%- set analysis_models = ['first_click', 'last_click', 'linear', 'time_decay', 'position_based'] %}
model_credits as (
    {%- for attribution_model in analysis_models %}
    select
        player_id,
        affiliate_id,
        '{{ attribution_model }}' as attribution_model,
        sum({{ attribution_model }}_credit) as credit
    from analysis_credit
    group by player_id, affiliate_id
    union all
    {%- endfor %}
    select
        player_id,
        affiliate_id,
        'payout' as attribution_model,
        cast(1 as decimal(18, 10)) as credit
    from payout_attribution
    where affiliate_id is not null
),

-- What each player did in a month: registered (1/0), became an NDC (1/0), its NGR.
player_month_facts as (
    select
        player_id,
        {{ month_start('registered_at') }} as period_month,
        1 as registrations,
        0 as ndcs,
        cast(0 as {{ type_money() }}) as player_ngr
    from payout_attribution
    union all
    select
        player_id,
        first_deposit_month as period_month,
        0 as registrations,
        1 as ndcs,
        cast(0 as {{ type_money() }}) as player_ngr
    from first_deposits
    union all
    select
        player_id,
        {{ month_start('activity_date') }} as period_month,
        0 as registrations,
        0 as ndcs,
        ngr as player_ngr
    from player_revenue
),

player_months as (
    select
        player_id,
        period_month,
        sum(registrations) as registrations,
        sum(ndcs) as ndcs,
        sum(player_ngr) as player_ngr
    from player_month_facts
    group by player_id, period_month
),

credited as (
    select
        model_credits.affiliate_id,
        player_months.period_month,
        model_credits.attribution_model,
        sum(model_credits.credit * player_months.registrations) as credited_registrations,
        sum(model_credits.credit * player_months.ndcs) as credited_ndcs,
        -- exact (credit × NGR has 20 places), rounded once per affiliate, month and model
        sum(model_credits.credit * player_months.player_ngr) as credited_player_ngr
    from model_credits
    inner join player_months on model_credits.player_id = player_months.player_id
    group by model_credits.affiliate_id, player_months.period_month, model_credits.attribution_model
),

affiliate_months as (
    select distinct
        affiliate_id,
        period_month
    from credited
),

attribution_models as (
    {%- for attribution_model in analysis_models + ['payout'] %}
    select '{{ attribution_model }}' as attribution_model
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

final as (
    select
        affiliate_months.affiliate_id,
        affiliate_months.period_month,
        attribution_models.attribution_model,
        cast(coalesce(credited.credited_registrations, 0) as decimal(38, 10)) as credited_registrations,
        cast(coalesce(credited.credited_ndcs, 0) as decimal(38, 10)) as credited_ndcs,
        cast(
            coalesce({{ round_half_even('credited.credited_player_ngr', 10) }}, 0) as {{ type_money() }}
        ) as credited_player_ngr
    from affiliate_months
    cross join attribution_models
    left join credited
        on
            affiliate_months.affiliate_id = credited.affiliate_id
            and affiliate_months.period_month = credited.period_month
            and attribution_models.attribution_model = credited.attribution_model
)

select * from final
