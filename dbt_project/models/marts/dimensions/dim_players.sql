-- One row per player, its current version (public, schema marts): who the player is,
-- without clear PII (business-rules §12). Emails and the registration IP are keyed hashes
-- (macros/pseudonym.sql), the date of birth an age band at registration; the person and
-- the duplicate flag come from identity (§3). An erased player (an erasure_requested event)
-- keeps its id and figures but loses every value derived from its PII.
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

registration_days as (
    select
        player_id,
        date_of_birth,
        {{ utc_date('registered_at') }} as registration_date
    from players
),

-- Age in whole years on the (UTC) registration day, counted with birthdays: one year less
-- while the birthday (month, day) of that year is still ahead. Born on 29 February: a year
-- older on 1 March in common years.
ages as (
    select
        player_id,
        extract(year from registration_date) - extract(year from date_of_birth)
        - case
            when
                extract(month from registration_date) * 100 + extract(day from registration_date)
                < extract(month from date_of_birth) * 100 + extract(day from date_of_birth)
                then 1
            else 0
        end as age_at_registration
    from registration_days
),

age_bands as (
    select
        player_id,
        case
            when age_at_registration is null then null
            when age_at_registration < 18 then 'under 18'
            when age_at_registration < 25 then '18-24'
            when age_at_registration < 35 then '25-34'
            when age_at_registration < 45 then '35-44'
            when age_at_registration < 55 then '45-54'
            when age_at_registration < 65 then '55-64'
            else '65+'
        end as age_band
    from ages
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
        case
            when erasures.player_id is null then {{ email_pseudonym('players.email') }}
        end as email_pseudonym,
        case
            when erasures.player_id is null then {{ ip_pseudonym('players.registration_ip') }}
        end as registration_ip_pseudonym,
        case when erasures.player_id is null then age_bands.age_band end as age_band,
        players.kyc_status,
        players.marketing_consent,
        erasures.player_id is not null as is_erased,
        erasures.erasure_requested_at,
        players.updated_at
    from players
    left join persons on players.player_id = persons.player_id
    left join age_bands on players.player_id = age_bands.player_id
    left join erasures on players.player_id = erasures.player_id
)

select * from final
