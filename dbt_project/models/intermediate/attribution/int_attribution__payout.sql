-- The payout attribution every figure uses (rules §4): a player's frozen attribution once
-- its registration month is closed, else the rule applied to the current data.
with

last_click as (
    select * from {{ ref('int_attribution__last_click') }}
),

frozen as (
    select * from {{ ref('int_attribution__frozen_payout') }}
),

final as (
    select
        last_click.player_id,
        last_click.brand_id,
        last_click.registered_at,
        case
            when frozen.player_id is not null then frozen.affiliate_id
            else last_click.affiliate_id
        end as affiliate_id,
        case
            when frozen.player_id is not null then frozen.campaign_id
            else last_click.campaign_id
        end as campaign_id,
        case
            when frozen.player_id is not null then frozen.click_id
            else last_click.click_id
        end as click_id,
        coalesce(frozen.attribution_method, last_click.attribution_method) as attribution_method,
        frozen.player_id is not null as is_frozen,
        frozen.frozen_by_month
    from last_click
    left join frozen on last_click.player_id = frozen.player_id
)

select * from final
