-- Cohorts of new depositing customers (NDCs, duplicate accounts left out) by the month of
-- their first counted deposit, under four groupings: per affiliate, per campaign, per
-- traffic source (organic players under 'organic') and all affiliates together (organic
-- left out). LTV after N days = the mean of marts.player_ltv.ngr_<N>d over the cohort's
-- players whose N-day window has fully elapsed (players_<N>d); retention after N days =
-- the share of the players whose day N has passed that played on day N or later.
{%- set player_columns = "cohort_month, as_of_date, ngr_30d, ngr_90d, ngr_365d, "
    ~ "is_retained_30d, is_retained_90d" %}

with

ndcs as (
    select * from {{ ref('player_ltv') }}
    where is_ndc
),

grouped as (
    select
        'affiliate' as cohort_grouping,
        affiliate_id as cohort_key,
        affiliate_id,
        cast(null as {{ dbt.type_string() }}) as campaign_id,
        cast(null as {{ dbt.type_string() }}) as traffic_source,
        {{ player_columns }}
    from ndcs
    where affiliate_id is not null
    union all
    select
        'campaign' as cohort_grouping,
        campaign_id as cohort_key,
        affiliate_id,
        campaign_id,
        cast(null as {{ dbt.type_string() }}) as traffic_source,
        {{ player_columns }}
    from ndcs
    where affiliate_id is not null
    union all
    select
        'traffic_source' as cohort_grouping,
        traffic_source as cohort_key,
        cast(null as {{ dbt.type_string() }}) as affiliate_id,
        cast(null as {{ dbt.type_string() }}) as campaign_id,
        traffic_source,
        {{ player_columns }}
    from ndcs
    union all
    select
        'all_affiliates' as cohort_grouping,
        'all' as cohort_key,
        cast(null as {{ dbt.type_string() }}) as affiliate_id,
        cast(null as {{ dbt.type_string() }}) as campaign_id,
        cast(null as {{ dbt.type_string() }}) as traffic_source,
        {{ player_columns }}
    from ndcs
    where affiliate_id is not null
),

cohort_totals as (
    select
        cohort_grouping,
        cohort_key,
        affiliate_id,
        campaign_id,
        traffic_source,
        cohort_month,
        as_of_date,
        count(*) as players,
        -- count() skips nulls: the players whose window has fully elapsed
        count(ngr_30d) as players_30d,
        count(ngr_90d) as players_90d,
        count(ngr_365d) as players_365d,
        sum(ngr_30d) as ngr_30d,
        sum(ngr_90d) as ngr_90d,
        sum(ngr_365d) as ngr_365d,
        count(is_retained_30d) as observed_30d,
        count(is_retained_90d) as observed_90d,
        sum(case when is_retained_30d then 1 else 0 end) as retained_30d,
        sum(case when is_retained_90d then 1 else 0 end) as retained_90d
    from grouped
    group by
        cohort_grouping,
        cohort_key,
        affiliate_id,
        campaign_id,
        traffic_source,
        cohort_month,
        as_of_date
),

final as (
    select
        cohort_grouping,
        cohort_key,
        affiliate_id,
        campaign_id,
        traffic_source,
        cohort_month,
        as_of_date,
        cast(players as integer) as players,
        cast(players_30d as integer) as players_30d,
        cast(players_90d as integer) as players_90d,
        cast(players_365d as integer) as players_365d,
        {{ divide_exact('ngr_30d', 'players_30d', 10) }} as ltv_30d,
        {{ divide_exact('ngr_90d', 'players_90d', 10) }} as ltv_90d,
        {{ divide_exact('ngr_365d', 'players_365d', 10) }} as ltv_365d,
        {{ divide_exact('retained_30d', 'observed_30d', 10) }} as retention_30d,
        {{ divide_exact('retained_90d', 'observed_90d', 10) }} as retention_90d
    from cohort_totals
)

select * from final
