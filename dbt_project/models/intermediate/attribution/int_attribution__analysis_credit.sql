-- Analysis attribution (rules §4, last bullet; never for payouts): every click of the
-- person in the player's window, with the credit five models give it. A person's clicks
-- are the clicks any of its accounts registered with and every click from a device of any
-- of its accounts; the window is that of payout attribution (the player's brand, at most
-- attribution_window_hours before registration, up to the registration time). Credits are
-- exact to 10 places and sum to exactly 1 per player and model: the last click takes
-- 1 minus the (rounded) credits of the others.
with

players as (
    select
        player_id,
        brand_id,
        registered_at,
        click_id,
        nullif(device_id, '') as device_id
    from {{ ref('stg_crm__players') }}
),

persons as (
    select
        player_id,
        person_id
    from {{ ref('int_identity__persons') }}
),

clicks as (
    select
        click_id,
        affiliate_id,
        campaign_id,
        brand_id,
        clicked_at,
        device_id
    from {{ ref('stg_affiliate__clicks') }}
),

accounts as (
    select
        persons.person_id,
        players.click_id,
        players.device_id
    from players
    inner join persons on players.player_id = persons.player_id
),

-- Every click of a person: the ones its accounts registered with, and every click from
-- one of its accounts' devices.
person_clicks as (
    select
        accounts.person_id,
        clicks.click_id
    from accounts
    inner join clicks on accounts.click_id = clicks.click_id
    union distinct
    select
        accounts.person_id,
        clicks.click_id
    from accounts
    inner join clicks on accounts.device_id = clicks.device_id
),

-- The person's clicks in the player's window.
path_clicks as (
    select
        players.player_id,
        persons.person_id,
        players.brand_id,
        players.registered_at,
        clicks.click_id,
        clicks.affiliate_id,
        clicks.campaign_id,
        clicks.clicked_at,
        cast(
            {{ dbt.datediff('clicks.clicked_at', 'players.registered_at', 'second') }}
            as double
        ) / 3600 as hours_before_registration
    from players
    inner join persons on players.player_id = persons.player_id
    inner join person_clicks on persons.person_id = person_clicks.person_id
    inner join clicks on person_clicks.click_id = clicks.click_id
    where
        clicks.brand_id = players.brand_id
        and clicks.clicked_at <= players.registered_at
        and clicks.clicked_at
        >= {{ dbt.dateadd('hour', -var('attribution_window_hours'), 'players.registered_at') }}
),

ordered_clicks as (
    select
        *,
        row_number() over (
            partition by player_id
            order by clicked_at, click_id
        ) as click_order,
        count(*) over (partition by player_id) as clicks_in_path
    from path_clicks
),

-- Each model's weight of a click (doubles), before normalising to 1 per player. Time
-- decay: half the weight per 7 days (168 hours) before registration.
weighted_clicks as (
    select
        *,
        cast(case when click_order = 1 then 1 else 0 end as double) as first_click_weight,
        cast(case when click_order = clicks_in_path then 1 else 0 end as double) as last_click_weight,
        cast(1 as double) as linear_weight,
        power(cast(2 as double), -hours_before_registration / 168) as time_decay_weight,
        case
            when clicks_in_path = 1 then cast(1 as double)
            when clicks_in_path = 2 then cast(0.5 as double)
            when click_order = 1 or click_order = clicks_in_path then cast(0.4 as double)
            else cast(0.2 as double) / (clicks_in_path - 2)
        end as position_based_weight
    from ordered_clicks
),

rounded_credits as (
    select
        *,
        cast(first_click_weight / sum(first_click_weight) over (partition by player_id) as decimal(18, 10))
            as first_click_share,
        cast(last_click_weight / sum(last_click_weight) over (partition by player_id) as decimal(18, 10))
            as last_click_share,
        cast(linear_weight / sum(linear_weight) over (partition by player_id) as decimal(18, 10))
            as linear_share,
        cast(time_decay_weight / sum(time_decay_weight) over (partition by player_id) as decimal(18, 10))
            as time_decay_share,
        cast(position_based_weight / sum(position_based_weight) over (partition by player_id) as decimal(18, 10))
            as position_based_share
    from weighted_clicks
),

-- The last click takes what the others leave, so the rounded credits add up to exactly 1.
credits as (
    select
        *,
        case
            when click_order = clicks_in_path
                then cast(
                    1 - (sum(first_click_share) over (partition by player_id) - first_click_share)
                    as decimal(18, 10)
                )
            else first_click_share
        end as first_click_credit,
        case
            when click_order = clicks_in_path
                then cast(
                    1 - (sum(last_click_share) over (partition by player_id) - last_click_share)
                    as decimal(18, 10)
                )
            else last_click_share
        end as last_click_credit,
        case
            when click_order = clicks_in_path
                then cast(
                    1 - (sum(linear_share) over (partition by player_id) - linear_share)
                    as decimal(18, 10)
                )
            else linear_share
        end as linear_credit,
        case
            when click_order = clicks_in_path
                then cast(
                    1 - (sum(time_decay_share) over (partition by player_id) - time_decay_share)
                    as decimal(18, 10)
                )
            else time_decay_share
        end as time_decay_credit,
        case
            when click_order = clicks_in_path
                then cast(
                    1 - (sum(position_based_share) over (partition by player_id) - position_based_share)
                    as decimal(18, 10)
                )
            else position_based_share
        end as position_based_credit
    from rounded_credits
),

final as (
    select
        player_id,
        person_id,
        brand_id,
        registered_at,
        click_id,
        affiliate_id,
        campaign_id,
        clicked_at,
        click_order,
        clicks_in_path,
        first_click_credit,
        last_click_credit,
        linear_credit,
        time_decay_credit,
        position_based_credit
    from credits
)

select * from final
