-- The (currency, day) pairs whose conversion rate a build may change: every day a rate
-- landed in the build's window can serve (its own day and the fx_fallback_days after it).
-- Amounts of those days are converted again, so a late or corrected rate, or one that
-- ends a gap, reaches every figure (rules §1).
with

landed_rates as (
    select
        currency,
        rate_date
    from {{ ref('stg_payments__fx_rates') }}
    where {{ in_build_window('_ingest_date') }}
),

fallback_offsets as (
    {% for days_after in range(var('fx_fallback_days') + 1) -%}
    select {{ days_after }} as days_after
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select distinct
        landed_rates.currency,
        cast(
            {{ dbt.dateadd('day', 'fallback_offsets.days_after', 'landed_rates.rate_date') }}
            as date
        ) as rate_day
    from landed_rates
    cross join fallback_offsets
)

select * from final
