-- The rate that converts each currency on each day (rules §1): that day's rate, else the
-- latest earlier rate at most fx_fallback_days older. Base currency rows are not listed:
-- it converts at 1 (see macro `rate_to_base`).
with

rates as (
    select
        currency,
        rate_date,
        rate_to_base
    from {{ ref('stg_payments__fx_rates') }}
),

fallback_offsets as (
    {% for days_after in range(var('fx_fallback_days') + 1) -%}
    select {{ days_after }} as days_after
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

candidates as (
    select
        rates.currency,
        cast({{ dbt.dateadd('day', 'fallback_offsets.days_after', 'rates.rate_date') }} as date)
            as rate_day,
        rates.rate_date as rate_source_date,
        rates.rate_to_base
    from rates
    cross join fallback_offsets
),

ranked as (
    select
        *,
        row_number() over (
            partition by currency, rate_day order by rate_source_date desc
        ) as freshness_rank
    from candidates
),

final as (
    select
        currency,
        rate_day,
        rate_source_date,
        rate_to_base
    from ranked
    where freshness_rank = 1
)

select * from final
