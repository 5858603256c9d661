-- The statements against the ledger (rules §11), per affiliate and month booked, dated on
-- the month's last day: a statement's total equals the balance it carried in plus every
-- ledger entry of the month. Expected: carried_in + the entries of
-- finance.commission_ledger; actual: the statement's total. An affiliate-month with
-- entries but no statement, or the reverse, fails too.
-- Monthly: built by the payout build right after the statements it reads, and its
-- post-hook writes the fresh rows into recon.daily_checks (which reads this table, when
-- it exists, for the days it recomputes): a payout build refreshes them in one invocation.
{{
    config(
        tags=['monthly'],
        post_hook="{{ refresh_statement_checks(['statement_total']) }}",
    )
}}

with

statements as (
    select
        affiliate_id,
        period_month,
        carried_in,
        total
    from {{ ref('statement_periods') }}
),

ledger as (
    select
        affiliate_id,
        period_month,
        amount
    from {{ ref('commission_ledger') }}
),

entry_totals as (
    select
        affiliate_id,
        period_month,
        count(*) as entry_count,
        sum(amount) as entries_total
    from ledger
    group by affiliate_id, period_month
),

compared as (
    select
        coalesce(statements.affiliate_id, entry_totals.affiliate_id) as affiliate_id,
        coalesce(statements.period_month, entry_totals.period_month) as period_month,
        coalesce(statements.carried_in, 0) as carried_in,
        coalesce(entry_totals.entry_count, 0) as entry_count,
        coalesce(statements.carried_in, 0) + coalesce(entry_totals.entries_total, 0)
            as expected_total,
        coalesce(statements.total, 0) as actual_total,
        statements.affiliate_id is not null as has_statement
    from statements
    full outer join entry_totals
        on
            statements.affiliate_id = entry_totals.affiliate_id
            and statements.period_month = entry_totals.period_month
),

final as (
    select
        {{ recon_check_columns(
            month_end('period_month'),
            "'statement_total'",
            'affiliate_id',
            'expected_total',
            'actual_total',
            recon_tolerance('recon_statement_tolerance'),
            "case
                when not has_statement then 'no statement for '
                    || cast(entry_count as " ~ dbt.type_string() ~ ") || ' ledger entries of '
                    || cast(period_month as " ~ dbt.type_string() ~ ")
                else 'statement of ' || cast(period_month as " ~ dbt.type_string() ~ ")
                    || ': carried_in ' || cast(carried_in as " ~ dbt.type_string() ~ ")
                    || ' + ' || cast(entry_count as " ~ dbt.type_string() ~ ")
                    || ' ledger entries vs its total'
            end",
        ) }}
    from compared
)

select * from final
