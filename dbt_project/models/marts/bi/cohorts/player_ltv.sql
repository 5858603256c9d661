-- One row per player with a first counted deposit: its NGR within 30, 90 and 365 days of
-- the first deposit and whether it still played after 30 and 90 days, as a BI analyst
-- recomputes them from marts.player_daily_revenue. Day index k = activity_date −
-- first_deposit_date (the first deposit day is day 0); as_of_date = the last day with
-- activity in the warehouse. An N-day window (k in 0..N−1) is reported once it has fully
-- elapsed (k = N−1 on or before as_of_date), retention after N days once day N has passed:
-- null before, so a young player never looks worth less than it is.

with

first_deposits as (
    select
        player_id,
        first_deposit_date,
        first_deposit_month,
        is_ndc
    from {{ ref('int_players__first_deposits') }}
),

attribution as (
    select
        player_id,
        affiliate_id,
        campaign_id
    from {{ ref('player_attribution') }}
),

current_campaigns as (
    select
        campaign_id,
        traffic_source
    from {{ ref('dim_campaigns') }}
    where is_current_version
),

daily as (
    select
        player_id,
        activity_date,
        ngr,
        round_count
    from {{ ref('player_daily_revenue') }}
),

as_of as (
    select max(activity_date) as as_of_date
    from daily
),

players as (
    select
        first_deposits.player_id,
        attribution.affiliate_id,
        attribution.campaign_id,
        case
            when attribution.affiliate_id is null then 'organic'
            else coalesce(current_campaigns.traffic_source, 'unknown')
        end as traffic_source,
        first_deposits.first_deposit_date,
        first_deposits.first_deposit_month as cohort_month,
        first_deposits.is_ndc,
        as_of.as_of_date,
        -- The day index of as_of_date: the last day of the player's life observed so far.
        {{ dbt.datediff('first_deposits.first_deposit_date', 'as_of.as_of_date', 'day') }}
            as last_observed_day
    from first_deposits
    cross join as_of
    left join attribution on first_deposits.player_id = attribution.player_id
    left join current_campaigns on attribution.campaign_id = current_campaigns.campaign_id
),

player_days as (
    select
        daily.player_id,
        daily.ngr,
        daily.round_count,
        {{ dbt.datediff('first_deposits.first_deposit_date', 'daily.activity_date', 'day') }}
            as day_index
    from daily
    inner join first_deposits on daily.player_id = first_deposits.player_id
),

player_totals as (
    select
        player_id,
        sum(case when day_index between 0 and 29 then ngr else 0 end) as ngr_days_0_to_29,
        sum(case when day_index between 0 and 89 then ngr else 0 end) as ngr_days_0_to_89,
        sum(case when day_index between 0 and 364 then ngr else 0 end) as ngr_days_0_to_364,
        sum(case when day_index >= 0 then ngr else 0 end) as ngr_from_day_0,
        {{ dbt.bool_or('day_index >= 30 and round_count > 0') }} as played_from_day_30,
        {{ dbt.bool_or('day_index >= 90 and round_count > 0') }} as played_from_day_90
    from player_days
    group by player_id
),

final as (
    select
        players.player_id,
        players.affiliate_id,
        players.campaign_id,
        players.traffic_source,
        players.first_deposit_date,
        players.cohort_month,
        players.is_ndc,
        players.as_of_date,
        cast(
            case
                when players.last_observed_day >= 29
                    then coalesce(player_totals.ngr_days_0_to_29, 0)
            end as {{ type_money() }}
        ) as ngr_30d,
        cast(
            case
                when players.last_observed_day >= 89
                    then coalesce(player_totals.ngr_days_0_to_89, 0)
            end as {{ type_money() }}
        ) as ngr_90d,
        cast(
            case
                when players.last_observed_day >= 364
                    then coalesce(player_totals.ngr_days_0_to_364, 0)
            end as {{ type_money() }}
        ) as ngr_365d,
        cast(coalesce(player_totals.ngr_from_day_0, 0) as {{ type_money() }}) as ngr_to_date,
        case
            when players.last_observed_day >= 30
                then coalesce(player_totals.played_from_day_30, false)
        end as is_retained_30d,
        case
            when players.last_observed_day >= 90
                then coalesce(player_totals.played_from_day_90, false)
        end as is_retained_90d
    from players
    left join player_totals on players.player_id = player_totals.player_id
)

select * from final
