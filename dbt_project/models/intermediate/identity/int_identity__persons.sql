-- Persons (rules §3): the connected components of player accounts linked by normalised
-- email (through its pseudonym) or device_id. Plain SQL for DuckDB and Spark alike (no
-- recursive CTE): a fixed number of steps (var identity_max_hops) of min-label
-- propagation with pointer jumping and parent hooking. Every account starts labelled with
-- its own registration rank; a step gives each account the smallest label's label
-- (grandparent) among itself and its neighbours, and gives that minimum to the account
-- its label points at too, so labels travel along a chain in doubling strides: a chain of
-- N accounts settled (and was confirmed) within log2(N) + 4 steps in every registration
-- order measured (random up to 10^6 accounts, adversarially searched up to 256), so the
-- default 20 steps cover chains of about 100,000 accounts. Each step reads the previous
-- step once (the label lookup copies each row to the account asked, via a two-row
-- `routes` table, and answers with a window, not a self-join): Spark inlines CTEs, so two
-- reads per step would double the plan with every step. `converged` is false where the
-- last step still changed a label; a test fails the build then.
{% set hops = var('identity_max_hops') %}
{% if hops < 1 %}
    {{ exceptions.raise_compiler_error("identity_max_hops must be at least 1, not " ~ hops) }}
{% endif %}

with

-- Emails link through their pseudonym (§12): the keyed hash of the normalised email
-- (lower-case, trimmed; none for a blank one), so equal normalised emails link as before.
players as (
    select
        player_id,
        registered_at,
        email_pseudonym as email_key,
        nullif(device_id, '') as device_key
    from {{ ref('stg_crm__players') }}
),

ranked_players as (
    select
        player_id,
        email_key,
        device_key,
        row_number() over (order by registered_at, player_id) as registration_rank
    from players
),

link_keys as (
    select
        registration_rank,
        concat('email:', email_key) as link_key
    from ranked_players
    where email_key is not null
    union all
    select
        registration_rank,
        concat('device:', device_key) as link_key
    from ranked_players
    where device_key is not null
),

-- Each key links its accounts to its earliest account (a star, not every pair: a device
-- shared by k accounts gives k links, not k²).
key_anchors as (
    select
        link_key,
        min(registration_rank) as anchor_rank
    from link_keys
    group by link_key
),

anchored_keys as (
    select
        link_keys.registration_rank,
        key_anchors.anchor_rank
    from link_keys
    inner join key_anchors on link_keys.link_key = key_anchors.link_key
),

-- Both directions of every link, and every account with itself.
neighbours as (
    select
        registration_rank as player_rank,
        registration_rank as neighbour_rank
    from ranked_players
    union
    select
        registration_rank as player_rank,
        anchor_rank as neighbour_rank
    from anchored_keys
    union
    select
        anchor_rank as player_rank,
        registration_rank as neighbour_rank
    from anchored_keys
),

-- Two copies of a row: for the account itself, and for the account its label points at.
routes as (
    select false as to_label
    union all
    select true as to_label
),

labels_0 as (
    select
        registration_rank as player_rank,
        registration_rank as person_rank
    from ranked_players
),

{% for step in range(1, hops + 1) %}
-- Step {{ step }}. Each account asks for its label's own label (the grandparent).
lookups_{{ step }} as (
    select
        previous.player_rank,
        previous.person_rank,
        routes.to_label as is_question,
        case
            when routes.to_label then previous.person_rank
            else previous.player_rank
        end as lookup_rank
    from labels_{{ step - 1 }} as previous
    cross join routes
),

answers_{{ step }} as (
    select
        player_rank,
        person_rank,
        is_question,
        min(case when not is_question then person_rank end) over (partition by lookup_rank) as grandparent_rank
    from lookups_{{ step }}
),

-- The smallest grandparent among the account and its neighbours.
reachable_{{ step }} as (
    select
        neighbours.player_rank,
        min(case when neighbours.neighbour_rank = neighbours.player_rank then answers.person_rank end)
            as person_rank,
        min(answers.grandparent_rank) as reachable_rank
    from neighbours
    inner join answers_{{ step }} as answers
        on
            neighbours.neighbour_rank = answers.player_rank
            and answers.is_question
    group by neighbours.player_rank
),

-- The account takes it, and so does the account its label points at (hooking).
labels_{{ step }} as (
    select
        case
            when routes.to_label then reachable.person_rank
            else reachable.player_rank
        end as player_rank,
        min(reachable.reachable_rank) as person_rank
    from reachable_{{ step }} as reachable
    cross join routes
    group by
        case
            when routes.to_label then reachable.person_rank
            else reachable.player_rank
        end
),

{% endfor %}
final as (
    select
        own_account.player_id,
        person.player_id as person_id,
        own_account.player_id != person.player_id as is_duplicate_account,
        last_step.person_rank = before_last_step.person_rank as converged
    from labels_{{ hops }} as last_step
    inner join labels_{{ hops - 1 }} as before_last_step
        on last_step.player_rank = before_last_step.player_rank
    inner join ranked_players as own_account on last_step.player_rank = own_account.registration_rank
    inner join ranked_players as person on last_step.person_rank = person.registration_rank
)

select * from final
