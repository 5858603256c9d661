-- CPA and CPA clawback entries to book in the open months up to the month built
-- (rules §8, §9, §11).
-- A CPA is booked once per player: a player whose CPA is in a closed month is never booked
-- again; otherwise the qualification is booked in its month, or the first open month if
-- that one is closed. A CPA in force (booked in a closed month, or booked now) is reversed
-- by the first cause within clawback_days of qualifying (a cause dated before the
-- qualifying day counts on that day), for the booked amount negated, naming the CPA; the
-- clawback is booked in the month of its cause, or the first open month.
-- depends_on: {{ ref('payout_closures') }}
with

calendar as (
    select * from {{ ref('int_commissions__payout_calendar') }}
),

qualifications as (
    select * from {{ ref('int_commissions__cpa_qualifications') }}
),

causes as (
    select * from {{ ref('int_commissions__cpa_clawback_causes') }}
),

deals as (
    select
        deal_id,
        clawback_days
    from {{ ref('stg_affiliate__deals') }}
),

closed_ledger as (
    {{ closed_ledger_rows() }}
),

closed_cpas as (
    select
        entry_id,
        affiliate_id,
        player_id,
        deal_id,
        amount,
        source_date as qualifying_date,
        source_record_id as first_deposit_transaction_id
    from closed_ledger
    where entry_type = 'cpa'
),

new_cpas as (
    select
        {{ entry_id(["'cpa'", 'qualifications.affiliate_id', 'qualifications.player_id']) }}
            as entry_id,
        qualifications.affiliate_id,
        qualifications.player_id,
        qualifications.deal_id,
        cast(
            {{ round_half_even('qualifications.cpa_amount_base', 2) }} as decimal(18, 2)
        ) as amount,
        qualifications.qualifying_date,
        qualifications.first_deposit_transaction_id,
        qualifications.cpa_amount,
        qualifications.cpa_currency,
        qualifications.cpa_rate_to_base,
        {{ booking_month(month_start('qualifications.qualifying_date'), 'calendar.first_open_month') }}
            as period_month
    from qualifications
    cross join calendar
    where
        qualifications.cpa_amount_base is not null
        and qualifications.player_id not in (select closed_cpas.player_id from closed_cpas)
),

cpas_in_force as (
    select
        entry_id,
        affiliate_id,
        player_id,
        deal_id,
        amount,
        qualifying_date,
        first_deposit_transaction_id
    from closed_cpas
    union all
    select
        entry_id,
        affiliate_id,
        player_id,
        deal_id,
        amount,
        qualifying_date,
        first_deposit_transaction_id
    from new_cpas
),

first_causes as (
    select *
    from (
        select
            cpas_in_force.*,
            causes.cause_type,
            causes.cause_date,
            causes.cause_source,
            causes.cause_entity,
            causes.cause_record_id,
            row_number() over (
                partition by cpas_in_force.entry_id
                order by causes.cause_date, causes.cause_type, causes.cause_record_id
            ) as cause_rank
        from cpas_in_force
        inner join deals on cpas_in_force.deal_id = deals.deal_id
        inner join causes
            on
                cpas_in_force.player_id = causes.player_id
                and causes.cause_date
                <= {{ dbt.dateadd('day', 'deals.clawback_days', 'cpas_in_force.qualifying_date') }}
                and (
                    cpas_in_force.qualifying_date <= causes.cause_date
                    or causes.cause_type = 'duplicate_account'
                )
                and (
                    causes.deposit_transaction_id is null
                    or cpas_in_force.first_deposit_transaction_id = causes.deposit_transaction_id
                )
    ) as ranked
    where cause_rank = 1
),

clawbacks as (
    select
        {{ entry_id(["'clawback'", 'first_causes.affiliate_id', 'first_causes.player_id', 'first_causes.entry_id']) }}
            as entry_id,
        first_causes.affiliate_id,
        {{ booking_month(
            month_start('case when first_causes.cause_date > first_causes.qualifying_date '
                ~ 'then first_causes.cause_date else first_causes.qualifying_date end'),
            'calendar.first_open_month'
        ) }} as period_month,
        'clawback' as entry_type,
        -first_causes.amount as amount,
        first_causes.player_id,
        first_causes.deal_id,
        first_causes.entry_id as reverses_entry_id,
        concat(
            'CPA of player ', first_causes.player_id, ' (qualified ',
            cast(first_causes.qualifying_date as {{ dbt.type_string() }}),
            ') reversed: ', replace(first_causes.cause_type, '_', ' '), ' on ',
            cast(first_causes.cause_date as {{ dbt.type_string() }}),
            ' (', first_causes.cause_entity, ' ', first_causes.cause_record_id, ')'
        ) as reason,
        cast(null as {{ dbt.type_string() }}) as child_affiliate_id,
        {{ month_start('first_causes.cause_date') }} as source_month,
        first_causes.cause_date as source_date,
        first_causes.cause_record_id as source_record_id
    from first_causes
    cross join calendar
    where
        first_causes.entry_id not in (
            select closed_ledger.reverses_entry_id
            from closed_ledger
            where closed_ledger.entry_type = 'clawback' and closed_ledger.reverses_entry_id is not null
        )
),

cpas as (
    select
        new_cpas.entry_id,
        new_cpas.affiliate_id,
        new_cpas.period_month,
        'cpa' as entry_type,
        new_cpas.amount,
        new_cpas.player_id,
        new_cpas.deal_id,
        cast(null as {{ dbt.type_string() }}) as reverses_entry_id,
        concat(
            'CPA for player ', new_cpas.player_id, ', qualified on ',
            cast(new_cpas.qualifying_date as {{ dbt.type_string() }}), ': ',
            cast(new_cpas.cpa_amount as {{ dbt.type_string() }}), ' ', new_cpas.cpa_currency,
            ' at ', cast(new_cpas.cpa_rate_to_base as {{ dbt.type_string() }}),
            ' (first deposit ', new_cpas.first_deposit_transaction_id, ')'
        ) as reason,
        cast(null as {{ dbt.type_string() }}) as child_affiliate_id,
        {{ month_start('new_cpas.qualifying_date') }} as source_month,
        new_cpas.qualifying_date as source_date,
        new_cpas.first_deposit_transaction_id as source_record_id
    from new_cpas
),

final as (
    select entries.*
    from (
        select * from cpas
        union all
        select * from clawbacks
    ) as entries
    cross join calendar
    where entries.period_month <= calendar.payout_month
)

select * from final
