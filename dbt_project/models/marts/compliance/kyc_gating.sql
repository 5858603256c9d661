-- Every CPA booked (outputs.md; ledger entries of type cpa), with the player's KYC status
-- at qualification and whether the deal required it (rules §8): the latest kyc_verified /
-- kyc_failed event up to the end of the qualifying day decides, the same way the CPA rule
-- reads it (same instant: kyc_failed wins, then the highest event_id); none: pending. A
-- CPA whose deal required KYC and whose player was not verified then fails the gate.
-- The deal is its current version. A view: it shows the current books.
{{ config(materialized='view') }}

with

ledger as (
    select * from {{ ref('commission_ledger') }}
),

deals as (
    select * from {{ ref('stg_affiliate__deals') }}
),

kyc_events as (
    select
        event_id,
        player_id,
        event_type,
        occurred_at,
        {{ utc_date('occurred_at') }} as event_date
    from {{ ref('stg_crm__player_events') }}
    where event_type in ('kyc_verified', 'kyc_failed')
),

cpas as (
    select
        entry_id,
        affiliate_id,
        period_month,
        player_id,
        deal_id,
        source_date as qualifying_date,
        amount
    from ledger
    where entry_type = 'cpa'
),

latest_kyc as (
    select *
    from (
        select
            cpas.entry_id,
            kyc_events.event_id,
            kyc_events.event_type,
            kyc_events.occurred_at,
            row_number() over (
                partition by cpas.entry_id
                order by
                    kyc_events.occurred_at desc,
                    case when kyc_events.event_type = 'kyc_failed' then 0 else 1 end,
                    kyc_events.event_id desc
            ) as recency
        from cpas
        inner join kyc_events
            on
                cpas.player_id = kyc_events.player_id
                and cpas.qualifying_date >= kyc_events.event_date
    ) as ranked
    where recency = 1
),

final as (
    select
        cpas.entry_id,
        cpas.affiliate_id,
        cpas.period_month,
        cpas.player_id,
        cpas.deal_id,
        cpas.qualifying_date,
        cpas.amount,
        deals.cpa_requires_kyc,
        case latest_kyc.event_type
            when 'kyc_verified' then 'verified'
            when 'kyc_failed' then 'failed'
            else 'pending'
        end as kyc_status_at_qualification,
        latest_kyc.event_id as kyc_event_id,
        latest_kyc.occurred_at as kyc_decided_at,
        not coalesce(deals.cpa_requires_kyc, false)
        or coalesce(latest_kyc.event_type = 'kyc_verified', false) as passed_kyc_gate
    from cpas
    left join deals on cpas.deal_id = deals.deal_id
    left join latest_kyc on cpas.entry_id = latest_kyc.entry_id
)

select * from final
