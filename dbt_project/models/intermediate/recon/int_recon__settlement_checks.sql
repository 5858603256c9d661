-- PSP settlement files against the transactions each PSP approved, per day, PSP and
-- currency (record currency). A PSP approves a transaction on its processed_at day; one
-- reversed later was still approved that day (rules §2: current versions, approved or
-- reversed). Per file: counts and amounts of deposits, withdrawals and chargebacks, and
-- the fees of every kind (refunds included). Expected: the approved transactions;
-- actual: the file. `settlement_file` fails where transactions have no file or a file
-- has no transactions; the figures are compared where both exist.
{{ config(materialized='view') }}

{%- set measures = [
    ('deposit_count', 'count'), ('deposit_amount', 'amount'),
    ('withdrawal_count', 'count'), ('withdrawal_amount', 'amount'),
    ('chargeback_count', 'count'), ('chargeback_amount', 'amount'),
    ('fee_amount', 'amount'),
] %}

with

transactions as (
    select * from {{ ref('int_revenue__counted_transactions') }}
    where is_counted and movement = 'counted'
),

settlements as (
    select * from {{ ref('stg_payments__settlements') }}
),

approved as (
    select
        processed_date as settlement_date,
        psp,
        currency,
        count(*) as transaction_count,
        sum(case when kind = 'deposit' then 1 else 0 end) as deposit_count,
        sum(case when kind = 'deposit' then amount else 0 end) as deposit_amount,
        sum(case when kind = 'withdrawal' then 1 else 0 end) as withdrawal_count,
        sum(case when kind = 'withdrawal' then amount else 0 end) as withdrawal_amount,
        sum(case when kind = 'chargeback' then 1 else 0 end) as chargeback_count,
        sum(case when kind = 'chargeback' then amount else 0 end) as chargeback_amount,
        sum(fee_amount) as fee_amount
    from transactions
    group by processed_date, psp, currency
),

files as (
    select
        approved.settlement_date,
        approved.psp,
        approved.currency,
        approved.transaction_count,
        {% for measure, _ in measures -%}
        approved.{{ measure }} as expected_{{ measure }},
        settlements.{{ measure }} as actual_{{ measure }},
        {% endfor -%}
        true as has_transactions,
        settlements.settlement_date is not null as has_file
    from approved
    left join settlements
        on
            approved.settlement_date = settlements.settlement_date
            and approved.psp = settlements.psp
            and approved.currency = settlements.currency
    union all
    select
        settlements.settlement_date,
        settlements.psp,
        settlements.currency,
        0 as transaction_count,
        {% for measure, _ in measures -%}
        null as expected_{{ measure }},
        settlements.{{ measure }} as actual_{{ measure }},
        {% endfor -%}
        false as has_transactions,
        true as has_file
    from settlements
    where not exists (
        select 1
        from approved
        where
            approved.settlement_date = settlements.settlement_date
            and approved.psp = settlements.psp
            and approved.currency = settlements.currency
    )
),

presence as (
    select
        {{ recon_check_columns(
            'settlement_date',
            "'settlement_file'",
            "psp || '|' || currency",
            'case when has_transactions then 1 else 0 end',
            'case when has_file then 1 else 0 end',
            "0",
            "case
                when not has_file then 'no settlement file for '
                    || cast(transaction_count as " ~ dbt.type_string() ~ ")
                    || ' approved transactions'
                when not has_transactions then 'a settlement file but no approved transactions'
                else 'settlement file and approved transactions'
            end",
        ) }}
    from files
),

{% for measure, kind in measures -%}
{{ measure }}_checks as (
    select
        {{ recon_check_columns(
            'settlement_date',
            "'settlement_" ~ measure ~ "'",
            "psp || '|' || currency",
            'expected_' ~ measure,
            'actual_' ~ measure,
            recon_tolerance('recon_settlement_' ~ kind ~ '_tolerance'),
            "'" ~ measure ~ " in ' || currency || ': approved transactions vs the '
                || psp || ' settlement file'",
        ) }}
    from files
    where has_file and has_transactions
),

{% endfor -%}

final as (
    select * from presence
    {% for measure, _ in measures -%}
    union all
    select * from {{ measure }}_checks
    {% endfor %}
)

select * from final
