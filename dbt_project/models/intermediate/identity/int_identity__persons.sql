-- Persons (rules §3): connected components of player accounts linked by normalised email
-- or device_id, found by propagating the smallest registration rank along the links,
-- one account hop per step, for identity_max_hops steps. `converged` is false when the
-- last step still changed a label (a chain longer than the step count): a test fails then.
{% set hops = var('identity_max_hops') %}

with

players as (
    select
        player_id,
        registered_at,
        lower(trim(email)) as email_key,
        device_id
    from {{ ref('stg_crm__players') }}
),

ranked_players as (
    select
        player_id,
        row_number() over (order by registered_at, player_id) as registration_rank
    from players
),

-- Every account links to itself, so accounts with no shared key keep their own label.
links as (
    select
        player_id,
        concat('self:', player_id) as link_key
    from players
    union all
    select
        player_id,
        concat('email:', email_key) as link_key
    from players
    where email_key is not null and email_key != ''
    union all
    select
        player_id,
        concat('device:', device_id) as link_key
    from players
    where device_id is not null and device_id != ''
),

neighbours as (
    select distinct
        own.player_id,
        other.player_id as neighbour_id
    from links as own
    inner join links as other on own.link_key = other.link_key
),

labels_0 as (
    select
        player_id,
        registration_rank as person_rank
    from ranked_players
),

{% for hop in range(1, hops + 1) %}
labels_{{ hop }} as (
    select
        neighbours.player_id,
        min(previous.person_rank) as person_rank
    from neighbours
    inner join labels_{{ hop - 1 }} as previous
        on neighbours.neighbour_id = previous.player_id
    group by neighbours.player_id
),
{% endfor %}

final as (
    select
        last_hop.player_id,
        person.player_id as person_id,
        last_hop.player_id != person.player_id as is_duplicate_account,
        last_hop.person_rank = before_last_hop.person_rank as converged
    from labels_{{ hops }} as last_hop
    inner join labels_{{ hops - 1 }} as before_last_hop
        on last_hop.player_id = before_last_hop.player_id
    inner join ranked_players as person on last_hop.person_rank = person.registration_rank
)

select * from final
