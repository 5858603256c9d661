-- Game providers' daily reports against the rounds that counted, per day, provider
-- (games.provider) and currency (record currency): rounds whose current version is
-- settled, on their settlement day (rules §2; a round re-sent cancelled no longer counts),
-- all rounds counted, real-money stakes and wins summed. Expected: the rounds; actual: the
-- report. `provider_report` fails where rounds have no report or a report has no rounds.
-- Rounds of an unknown game have no provider: they are orphans (int_recon__orphan_checks).
{{ config(materialized='view') }}

{%- set measures = [
    ('rounds_count', 'count'), ('stakes_real', 'amount'), ('wins_real', 'amount'),
] %}

with

rounds as (
    select * from {{ ref('int_revenue__counted_rounds') }}
    where is_counted
),

games as (
    select
        game_id,
        provider
    from {{ ref('stg_games__games') }}
),

reports as (
    select * from {{ ref('stg_games__provider_reports') }}
),

settled as (
    select
        rounds.activity_date as report_date,
        games.provider,
        rounds.currency,
        count(*) as rounds_count,
        sum(rounds.stake_real) as stakes_real,
        sum(rounds.win_real) as wins_real
    from rounds
    inner join games on rounds.game_id = games.game_id
    group by rounds.activity_date, games.provider, rounds.currency
),

cells as (
    select
        settled.report_date,
        settled.provider,
        settled.currency,
        {% for measure, _ in measures -%}
        settled.{{ measure }} as expected_{{ measure }},
        reports.{{ measure }} as actual_{{ measure }},
        {% endfor -%}
        true as has_rounds,
        reports.report_date is not null as has_report
    from settled
    left join reports
        on
            settled.report_date = reports.report_date
            and settled.provider = reports.provider
            and settled.currency = reports.currency
    union all
    select
        reports.report_date,
        reports.provider,
        reports.currency,
        {% for measure, _ in measures -%}
        null as expected_{{ measure }},
        reports.{{ measure }} as actual_{{ measure }},
        {% endfor -%}
        false as has_rounds,
        true as has_report
    from reports
    where not exists (
        select 1
        from settled
        where
            settled.report_date = reports.report_date
            and settled.provider = reports.provider
            and settled.currency = reports.currency
    )
),

presence as (
    select
        {{ recon_check_columns(
            'report_date',
            "'provider_report'",
            "provider || '|' || currency",
            'case when has_rounds then 1 else 0 end',
            'case when has_report then 1 else 0 end',
            "0",
            "case
                when not has_report then 'no provider report for '
                    || cast(expected_rounds_count as " ~ dbt.type_string() ~ ")
                    || ' settled rounds'
                when not has_rounds then 'a provider report but no settled rounds'
                else 'provider report and settled rounds'
            end",
        ) }}
    from cells
),

{% for measure, kind in measures -%}
{{ measure }}_checks as (
    select
        {{ recon_check_columns(
            'report_date',
            "'provider_" ~ measure ~ "'",
            "provider || '|' || currency",
            'expected_' ~ measure,
            'actual_' ~ measure,
            recon_tolerance('recon_provider_' ~ kind ~ '_tolerance'),
            "'" ~ measure ~ " in ' || currency || ': settled rounds vs the '
                || provider || ' report'",
        ) }}
    from cells
    where has_report and has_rounds
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
