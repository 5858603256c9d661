-- The day each attributed player qualifies for its affiliate's CPA (rules §8), evaluated at
-- the end of each day from registration to registration + cpa_window_days, under the CPA
-- (or hybrid) deal that applies to that day's month (rules §6): the first day on which
--   - the first counted deposit, as it stood that day, is at least cpa_min_first_deposit
--     (in base currency; a deposit reversed later still counted until its reversal day),
--   - counted real-money stakes since registration reach cpa_min_wagered,
--   - KYC is verified: the latest kyc_verified/kyc_failed event so far is kyc_verified
--     (where cpa_requires_kyc),
--   - the account is not a duplicate, no self-exclusion has started, and it is not inside a
--     fraud-flag period.
-- Conditions only change on the days listed in candidate_days, so checking those is
-- checking every day. The CPA converts at the qualifying day's rate; a CPA with no usable
-- rate has a null amount and is held back (rules §1).
with

attribution as (
    select
        player_id,
        brand_id,
        affiliate_id,
        {{ utc_date('registered_at') }} as registration_date
    from {{ ref('int_attribution__payout') }}
    where affiliate_id is not null
),

persons as (
    select
        player_id,
        is_duplicate_account
    from {{ ref('int_identity__persons') }}
),

applicable_deals as (
    select * from {{ ref('int_commissions__applicable_deals') }}
    where plan_type in ('cpa', 'hybrid')
),

deals as (
    select * from {{ ref('stg_affiliate__deals') }}
),

counted_deposits as (
    select * from {{ ref('int_revenue__counted_transactions') }}
    where kind = 'deposit' and is_counted
),

transactions as (
    select
        transaction_id,
        processed_at
    from {{ ref('stg_payments__transactions') }}
),

player_daily as (
    select
        player_id,
        activity_date,
        stakes_real
    from {{ ref('int_revenue__player_daily') }}
    where stakes_real != 0
),

events as (
    select
        event_id,
        player_id,
        event_type,
        occurred_at,
        {{ utc_date('occurred_at') }} as event_date
    from {{ ref('stg_crm__player_events') }}
    where event_type in ('kyc_verified', 'kyc_failed', 'self_exclusion_started')
),

fraud_periods as (
    select * from {{ ref('int_players__fraud_periods') }}
),

rates as (
    select * from {{ ref('int_fx__daily_rates') }}
),

deposits as (
    -- Each counted deposit with the day its reversal took effect, if it was reversed.
    select
        counted.transaction_id,
        counted.player_id,
        transactions.processed_at,
        counted.processed_date,
        counted.amount_base,
        reversals.activity_date as reversed_on
    from counted_deposits as counted
    inner join transactions on counted.transaction_id = transactions.transaction_id
    left join counted_deposits as reversals
        on
            counted.transaction_id = reversals.transaction_id
            and reversals.movement = 'reversal'
    where counted.movement = 'counted'
),

candidate_days as (
    select
        player_id,
        registration_date as candidate_date
    from attribution
    union
    select
        player_id,
        processed_date
    from deposits
    union
    select
        player_id,
        reversed_on
    from deposits
    where reversed_on is not null
    union
    select
        player_id,
        activity_date
    from player_daily
    union
    select
        player_id,
        event_date
    from events
    union
    select
        player_id,
        excluded_until
    from fraud_periods
    where excluded_until is not null
),

candidates as (
    select
        candidate_days.player_id,
        candidate_days.candidate_date,
        attribution.affiliate_id,
        attribution.brand_id,
        attribution.registration_date,
        deals.deal_id,
        deals.cpa_amount,
        coalesce(deals.cpa_currency, '{{ var("base_currency") }}') as cpa_currency,
        coalesce(deals.cpa_min_first_deposit, 0) as cpa_min_first_deposit,
        coalesce(deals.cpa_min_wagered, 0) as cpa_min_wagered,
        deals.cpa_requires_kyc,
        coalesce(persons.is_duplicate_account, false) as is_duplicate_account
    from candidate_days
    inner join attribution on candidate_days.player_id = attribution.player_id
    inner join applicable_deals
        on
            attribution.affiliate_id = applicable_deals.affiliate_id
            and attribution.brand_id = applicable_deals.brand_id
            and {{ month_start('candidate_days.candidate_date') }} = applicable_deals.period_month
    inner join deals on applicable_deals.deal_id = deals.deal_id
    left join persons on candidate_days.player_id = persons.player_id
    where
        deals.cpa_amount is not null
        and candidate_days.candidate_date >= attribution.registration_date
        and (
            deals.cpa_window_days is null
            or candidate_days.candidate_date
            <= {{ dbt.dateadd('day', 'deals.cpa_window_days', 'attribution.registration_date') }}
        )
),

first_deposit_that_day as (
    select
        player_id,
        candidate_date,
        transaction_id as first_deposit_transaction_id,
        amount_base as first_deposit_base
    from (
        select
            candidates.player_id,
            candidates.candidate_date,
            deposits.transaction_id,
            deposits.amount_base,
            row_number() over (
                partition by candidates.player_id, candidates.candidate_date
                order by deposits.processed_at, deposits.transaction_id
            ) as deposit_rank
        from candidates
        inner join deposits
            on
                candidates.player_id = deposits.player_id
                and candidates.candidate_date >= deposits.processed_date
                and (deposits.reversed_on is null or candidates.candidate_date < deposits.reversed_on)
    ) as ranked
    where deposit_rank = 1
),

wagered_by_then as (
    select
        candidates.player_id,
        candidates.candidate_date,
        sum(player_daily.stakes_real) as wagered
    from candidates
    inner join player_daily
        on
            candidates.player_id = player_daily.player_id
            and candidates.registration_date <= player_daily.activity_date
            and candidates.candidate_date >= player_daily.activity_date
    group by candidates.player_id, candidates.candidate_date
),

kyc_by_then as (
    select
        player_id,
        candidate_date,
        event_type as kyc_state,
        event_id as kyc_event_id
    from (
        select
            candidates.player_id,
            candidates.candidate_date,
            events.event_type,
            events.event_id,
            row_number() over (
                partition by candidates.player_id, candidates.candidate_date
                order by
                    events.occurred_at desc,
                    case when events.event_type = 'kyc_failed' then 0 else 1 end,
                    events.event_id desc
            ) as recency
        from candidates
        inner join events
            on
                candidates.player_id = events.player_id
                and events.event_type in ('kyc_verified', 'kyc_failed')
                and candidates.candidate_date >= events.event_date
    ) as ranked
    where recency = 1
),

blocked_days as (
    select distinct
        candidates.player_id,
        candidates.candidate_date
    from candidates
    inner join events
        on
            candidates.player_id = events.player_id
            and events.event_type = 'self_exclusion_started'
            and candidates.candidate_date >= events.event_date
    union
    select
        candidates.player_id,
        candidates.candidate_date
    from candidates
    inner join fraud_periods
        on
            candidates.player_id = fraud_periods.player_id
            and candidates.candidate_date >= fraud_periods.excluded_from
            and (
                fraud_periods.excluded_until is null
                or candidates.candidate_date < fraud_periods.excluded_until
            )
),

qualifying_days as (
    select
        candidates.*,
        first_deposit_that_day.first_deposit_transaction_id,
        first_deposit_that_day.first_deposit_base,
        coalesce(wagered_by_then.wagered, 0) as wagered,
        kyc_by_then.kyc_event_id,
        row_number() over (
            partition by candidates.player_id order by candidates.candidate_date
        ) as day_rank
    from candidates
    inner join first_deposit_that_day
        on
            candidates.player_id = first_deposit_that_day.player_id
            and candidates.candidate_date = first_deposit_that_day.candidate_date
    left join wagered_by_then
        on
            candidates.player_id = wagered_by_then.player_id
            and candidates.candidate_date = wagered_by_then.candidate_date
    left join kyc_by_then
        on
            candidates.player_id = kyc_by_then.player_id
            and candidates.candidate_date = kyc_by_then.candidate_date
    left join blocked_days
        on
            candidates.player_id = blocked_days.player_id
            and candidates.candidate_date = blocked_days.candidate_date
    where
        first_deposit_that_day.first_deposit_base >= candidates.cpa_min_first_deposit
        and coalesce(wagered_by_then.wagered, 0) >= candidates.cpa_min_wagered
        and (not candidates.cpa_requires_kyc or kyc_by_then.kyc_state = 'kyc_verified')
        and not candidates.is_duplicate_account
        and blocked_days.player_id is null
),

final as (
    select
        qualifying_days.player_id,
        qualifying_days.affiliate_id,
        qualifying_days.brand_id,
        qualifying_days.deal_id,
        qualifying_days.registration_date,
        qualifying_days.candidate_date as qualifying_date,
        qualifying_days.first_deposit_transaction_id,
        qualifying_days.first_deposit_base,
        qualifying_days.wagered,
        qualifying_days.kyc_event_id,
        qualifying_days.cpa_amount,
        qualifying_days.cpa_currency,
        {{ rate_to_base('qualifying_days.cpa_currency', 'rates') }} as cpa_rate_to_base,
        cast(
            qualifying_days.cpa_amount * {{ rate_to_base('qualifying_days.cpa_currency', 'rates') }}
            as {{ type_money() }}
        ) as cpa_amount_base
    from qualifying_days
    left join rates
        on
            qualifying_days.cpa_currency = rates.currency
            and qualifying_days.candidate_date = rates.rate_day
    where qualifying_days.day_rank = 1
)

select * from final
