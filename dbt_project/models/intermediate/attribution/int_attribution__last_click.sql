-- Payout attribution by the rule (rules §4) from the current data: last click of the
-- player's brand within the window before registration; the click the player registered
-- with first, then the latest click from the player's device, else organic. Clicks after
-- registration never count. int_attribution__payout applies the freeze of closed months.
with

players as (
    select
        player_id,
        brand_id,
        registered_at,
        click_id,
        device_id
    from {{ ref('stg_crm__players') }}
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

registered_click as (
    select
        players.player_id,
        clicks.click_id,
        clicks.affiliate_id,
        clicks.campaign_id
    from players
    inner join clicks
        on
            players.click_id = clicks.click_id
            and players.brand_id = clicks.brand_id
            and players.registered_at >= clicks.clicked_at
            and clicks.clicked_at
            >= {{ dbt.dateadd('hour', -var('attribution_window_hours'), 'players.registered_at') }}
),

device_clicks as (
    select
        players.player_id,
        clicks.click_id,
        clicks.affiliate_id,
        clicks.campaign_id,
        row_number() over (
            partition by players.player_id
            order by clicks.clicked_at desc, clicks.click_id desc
        ) as recency_rank
    from players
    inner join clicks
        on
            players.device_id = clicks.device_id
            and players.brand_id = clicks.brand_id
            and players.registered_at >= clicks.clicked_at
            and clicks.clicked_at
            >= {{ dbt.dateadd('hour', -var('attribution_window_hours'), 'players.registered_at') }}
),

latest_device_click as (
    select * from device_clicks
    where recency_rank = 1
),

final as (
    select
        players.player_id,
        players.brand_id,
        players.registered_at,
        coalesce(registered_click.affiliate_id, latest_device_click.affiliate_id) as affiliate_id,
        coalesce(registered_click.campaign_id, latest_device_click.campaign_id) as campaign_id,
        coalesce(registered_click.click_id, latest_device_click.click_id) as click_id,
        case
            when registered_click.click_id is not null then 'click_id'
            when latest_device_click.click_id is not null then 'device'
            else 'organic'
        end as attribution_method
    from players
    left join registered_click on players.player_id = registered_click.player_id
    left join latest_device_click on players.player_id = latest_device_click.player_id
)

select * from final
