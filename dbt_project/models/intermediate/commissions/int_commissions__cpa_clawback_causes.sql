-- What can reverse a player's CPA (rules §3, §9), one row per cause: a fraud flag, the start
-- of a self-exclusion, a chargeback or a reversal of a deposit (it reverses a CPA only when
-- that deposit is the one the CPA relied on: `deposit_transaction_id`), or the account being
-- a duplicate (rules §3: "later found to be a duplicate"). A duplicate is dated on the day
-- its person was complete: the latest registration among the person's accounts, the
-- earliest day the link could be known from the players' records.
with

events as (
    select * from {{ ref('stg_crm__player_events') }}
    where event_type in ('fraud_flagged', 'self_exclusion_started')
),

transactions as (
    select * from {{ ref('int_revenue__counted_transactions') }}
    where is_counted
),

persons as (
    select * from {{ ref('int_identity__persons') }}
),

players as (
    select
        player_id,
        registered_at
    from {{ ref('stg_crm__players') }}
),

person_completion as (
    select
        persons.person_id,
        max({{ utc_date('players.registered_at') }}) as completed_on
    from persons
    inner join players on persons.player_id = players.player_id
    group by persons.person_id
),

causes as (
    select
        player_id,
        event_type as cause_type,
        {{ utc_date('occurred_at') }} as cause_date,
        'crm' as cause_source,
        'player_events' as cause_entity,
        event_id as cause_record_id,
        cast(null as {{ dbt.type_string() }}) as deposit_transaction_id
    from events
    union all
    select
        player_id,
        'first_deposit_charged_back' as cause_type,
        activity_date as cause_date,
        'payments' as cause_source,
        'transactions' as cause_entity,
        transaction_id as cause_record_id,
        original_transaction_id as deposit_transaction_id
    from transactions
    where kind = 'chargeback' and movement = 'counted'
    union all
    select
        player_id,
        'first_deposit_reversed' as cause_type,
        activity_date as cause_date,
        'payments' as cause_source,
        'transactions' as cause_entity,
        transaction_id as cause_record_id,
        transaction_id as deposit_transaction_id
    from transactions
    where kind = 'deposit' and movement = 'reversal'
    union all
    select
        persons.player_id,
        'duplicate_account' as cause_type,
        person_completion.completed_on as cause_date,
        'crm' as cause_source,
        'players' as cause_entity,
        persons.person_id as cause_record_id,
        cast(null as {{ dbt.type_string() }}) as deposit_transaction_id
    from persons
    inner join person_completion on persons.person_id = person_completion.person_id
    where persons.is_duplicate_account
),

final as (
    select * from causes
)

select * from final
