-- Every ledger entry with the landed records it was computed from (outputs.md), one row per
-- entry and record: source system, entity, primary key and the landing batch, with the
-- record's role. A view: it always shows the current books against the current records.
--   revshare, and adjustments of revenue share: the counted rounds, transactions and bonus
--     conversions of the deal's players in the month (fraud-excluded days left out), and
--     the deal;
--   cpa: the first deposit, the rounds that made up the wagering, the KYC event, the deal
--     and, for a CPA in another currency, the rate that converted it;
--   clawback: the event or transaction that caused it, and the entry it reverses;
--   sub_affiliate: the child's entries of the month, the child's record and deal.
{{ config(materialized='view') }}

with

ledger as (
    select * from {{ ref('commission_ledger') }}
),

affiliate_days as (
    select * from {{ ref('int_revenue__affiliate_player_daily') }}
    where not is_fraud_excluded
),

applicable_deals as (
    select * from {{ ref('int_commissions__applicable_deals') }}
),

rounds as (
    select * from {{ ref('int_revenue__counted_rounds') }}
    where is_counted
),

transactions as (
    select * from {{ ref('int_revenue__counted_transactions') }}
    where is_counted
),

bonus_conversions as (
    select * from {{ ref('int_revenue__counted_bonus_conversions') }}
    where is_counted
),

qualifications as (
    select * from {{ ref('int_commissions__cpa_qualifications') }}
),

deals as (
    select * from {{ ref('stg_affiliate__deals') }}
),

affiliates as (
    select * from {{ ref('stg_affiliate__affiliates') }}
),

events as (
    select * from {{ ref('stg_crm__player_events') }}
),

players as (
    select * from {{ ref('stg_crm__players') }}
),

fx_rates as (
    select * from {{ ref('int_fx__daily_rates') }}
),

landed_rates as (
    select * from {{ ref('stg_payments__fx_rates') }}
),

revenue_entries as (
    select
        entry_id,
        affiliate_id,
        deal_id,
        source_month
    from ledger
    where
        entry_type = 'revshare'
        or (entry_type = 'adjustment' and child_affiliate_id is null)
),

revenue_player_days as (
    select
        revenue_entries.entry_id,
        affiliate_days.player_id,
        affiliate_days.activity_date
    from revenue_entries
    inner join applicable_deals
        on
            revenue_entries.affiliate_id = applicable_deals.affiliate_id
            and revenue_entries.deal_id = applicable_deals.deal_id
            and revenue_entries.source_month = applicable_deals.period_month
    inner join affiliate_days
        on
            applicable_deals.affiliate_id = affiliate_days.affiliate_id
            and applicable_deals.brand_id = affiliate_days.brand_id
            and applicable_deals.period_month = {{ month_start('affiliate_days.activity_date') }}
),

revenue_records as (
    select
        revenue_player_days.entry_id,
        'games' as source_system,
        'rounds' as source_entity,
        rounds.round_id as record_id,
        rounds._batch_id as batch_id,
        'round in the revenue-share base' as record_role
    from revenue_player_days
    inner join rounds
        on
            revenue_player_days.player_id = rounds.player_id
            and revenue_player_days.activity_date = rounds.activity_date
    union all
    select
        revenue_player_days.entry_id,
        'payments' as source_system,
        'transactions' as source_entity,
        transactions.transaction_id as record_id,
        transactions._batch_id as batch_id,
        concat(transactions.kind, ' (', transactions.movement, ') in the revenue-share base') as record_role
    from revenue_player_days
    inner join transactions
        on
            revenue_player_days.player_id = transactions.player_id
            and revenue_player_days.activity_date = transactions.activity_date
    where transactions.kind = 'chargeback' or transactions.fee_amount != 0
    union all
    select
        revenue_player_days.entry_id,
        'crm' as source_system,
        'bonuses' as source_entity,
        bonus_conversions.bonus_txn_id as record_id,
        bonus_conversions._batch_id as batch_id,
        'bonus cost in the revenue-share base' as record_role
    from revenue_player_days
    inner join bonus_conversions
        on
            revenue_player_days.player_id = bonus_conversions.player_id
            and revenue_player_days.activity_date = bonus_conversions.activity_date
),

cpa_records as (
    select
        ledger.entry_id,
        'payments' as source_system,
        'transactions' as source_entity,
        ledger.source_record_id as record_id,
        transactions._batch_id as batch_id,
        'first deposit' as record_role
    from ledger
    left join transactions
        on ledger.source_record_id = transactions.transaction_id and transactions.movement = 'counted'
    where ledger.entry_type = 'cpa'
    union all
    select
        ledger.entry_id,
        'games' as source_system,
        'rounds' as source_entity,
        rounds.round_id as record_id,
        rounds._batch_id as batch_id,
        'wagering toward the CPA' as record_role
    from ledger
    inner join qualifications on ledger.player_id = qualifications.player_id
    inner join rounds
        on
            ledger.player_id = rounds.player_id
            and qualifications.registration_date <= rounds.activity_date
            and ledger.source_date >= rounds.activity_date
    where ledger.entry_type = 'cpa' and rounds.stake_real != 0
    union all
    select
        ledger.entry_id,
        'crm' as source_system,
        'player_events' as source_entity,
        events.event_id as record_id,
        events._batch_id as batch_id,
        'KYC verified' as record_role
    from ledger
    inner join qualifications on ledger.player_id = qualifications.player_id
    inner join events on qualifications.kyc_event_id = events.event_id
    where ledger.entry_type = 'cpa'
    union all
    select
        ledger.entry_id,
        'payments' as source_system,
        'fx_rates' as source_entity,
        concat(landed_rates.currency, '|', cast(landed_rates.rate_date as {{ dbt.type_string() }}))
            as record_id,
        landed_rates._batch_id as batch_id,
        'rate converting the CPA' as record_role
    from ledger
    inner join deals on ledger.deal_id = deals.deal_id
    inner join fx_rates
        on
            deals.cpa_currency = fx_rates.currency
            and ledger.source_date = fx_rates.rate_day
    inner join landed_rates
        on
            fx_rates.currency = landed_rates.currency
            and fx_rates.rate_source_date = landed_rates.rate_date
    where ledger.entry_type = 'cpa'
),

clawback_records as (
    select
        ledger.entry_id,
        'crm' as source_system,
        'player_events' as source_entity,
        events.event_id as record_id,
        events._batch_id as batch_id,
        concat('cause: ', events.event_type) as record_role
    from ledger
    inner join events on ledger.source_record_id = events.event_id
    where ledger.entry_type = 'clawback'
    union all
    select
        ledger.entry_id,
        'payments' as source_system,
        'transactions' as source_entity,
        transactions.transaction_id as record_id,
        transactions._batch_id as batch_id,
        concat('cause: ', transactions.kind, ' ', transactions.movement) as record_role
    from ledger
    inner join transactions on ledger.source_record_id = transactions.transaction_id
    where ledger.entry_type = 'clawback'
    union all
    select
        ledger.entry_id,
        'crm' as source_system,
        'players' as source_entity,
        players.player_id as record_id,
        players._batch_id as batch_id,
        'cause: the earlier account this one duplicates' as record_role
    from ledger
    inner join players on ledger.source_record_id = players.player_id
    where ledger.entry_type = 'clawback'
),

ledger_references as (
    select
        ledger.entry_id,
        'warehouse' as source_system,
        'finance.commission_ledger' as source_entity,
        ledger.reverses_entry_id as record_id,
        cast(null as {{ dbt.type_string() }}) as batch_id,
        concat('entry ', case when ledger.entry_type = 'adjustment' then 'adjusted' else 'reversed' end)
            as record_role
    from ledger
    where ledger.reverses_entry_id is not null
    union all
    select
        ledger.entry_id,
        'warehouse' as source_system,
        'finance.commission_ledger' as source_entity,
        child_entries.entry_id as record_id,
        cast(null as {{ dbt.type_string() }}) as batch_id,
        concat('the sub-affiliate''s ', child_entries.entry_type, ' entry') as record_role
    from ledger
    inner join ledger as child_entries
        on
            ledger.child_affiliate_id = child_entries.affiliate_id
            and ledger.source_month = child_entries.period_month
            and child_entries.entry_type in ('revshare', 'cpa', 'clawback', 'adjustment')
    where ledger.entry_type = 'sub_affiliate'
    union all
    select
        ledger.entry_id,
        'affiliate' as source_system,
        'affiliates' as source_entity,
        affiliates.affiliate_id as record_id,
        affiliates._batch_id as batch_id,
        'the sub-affiliate and its parent' as record_role
    from ledger
    inner join affiliates on ledger.child_affiliate_id = affiliates.affiliate_id
    where ledger.entry_type = 'sub_affiliate'
    union all
    select
        ledger.entry_id,
        'affiliate' as source_system,
        'deals' as source_entity,
        deals.deal_id as record_id,
        deals._batch_id as batch_id,
        'the deal' as record_role
    from ledger
    inner join deals on ledger.deal_id = deals.deal_id
),

sources as (
    select * from revenue_records
    union all
    select * from cpa_records
    union all
    select * from clawback_records
    union all
    select * from ledger_references
),

final as (
    select
        ledger.entry_id,
        ledger.affiliate_id,
        ledger.period_month,
        ledger.entry_type,
        sources.source_system,
        sources.source_entity,
        sources.record_id,
        sources.batch_id,
        sources.record_role
    from sources
    inner join ledger on sources.entry_id = ledger.entry_id
)

select * from final
