-- One row per player: who brought it (payout attribution) and which person it belongs to.
with

attribution as (
    select * from {{ ref('int_attribution__payout') }}
),

persons as (
    select * from {{ ref('int_identity__persons') }}
),

final as (
    select
        attribution.player_id,
        attribution.brand_id,
        persons.person_id,
        attribution.registered_at,
        attribution.affiliate_id,
        attribution.campaign_id,
        attribution.click_id,
        attribution.attribution_method,
        persons.is_duplicate_account
    from attribution
    inner join persons on attribution.player_id = persons.player_id
)

select * from final
