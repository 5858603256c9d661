-- One row per player, its current version (public, schema marts): who the player is,
-- without clear PII (business-rules §12). Emails and the registration IP are keyed hashes
-- (macros/pseudonym.sql), the date of birth an age band at registration, as staging
-- carries them; the person and the duplicate flag come from identity (§3). An erased
-- player (an erasure_requested event) keeps its id and figures but loses every value
-- derived from its PII.
with

players as (
    select * from {{ ref('stg_crm__players') }}
),

persons as (
    select * from {{ ref('int_identity__persons') }}
),

player_events as (
    select * from {{ ref('stg_crm__player_events') }}
),

erasures as (
    select
        player_id,
        min(occurred_at) as erasure_requested_at
    from player_events
    where event_type = 'erasure_requested'
    group by player_id
),

final as (
    select
        players.player_id,
        players.brand_id,
        persons.person_id,
        persons.is_duplicate_account,
        players.registered_at,
        players.country,
        players.currency,
        players.click_id as registration_click_id,
        players.device_id,
        case when erasures.player_id is null then players.email_pseudonym end as email_pseudonym,
        case
            when erasures.player_id is null then players.registration_ip_pseudonym
        end as registration_ip_pseudonym,
        case when erasures.player_id is null then players.age_band end as age_band,
        players.kyc_status,
        players.marketing_consent,
        erasures.player_id is not null as is_erased,
        erasures.erasure_requested_at,
        players.updated_at
    from players
    left join persons on players.player_id = persons.player_id
    left join erasures on players.player_id = erasures.player_id
)

select * from final
