-- The revenue-share calculation of every deal and month booked (rules §7), kept like the
-- ledger: a closed month's rows never change, so the negative NGR it carried out stays
-- as it was (rules §11) and the next open month starts from it.
{{
    config(
        materialized='incremental',
        incremental_strategy='replace_open_months',
        closures_model='payout_closures',
        full_refresh=false,
        on_schema_change='fail',
    )
}}
{% set building = var('payout_month') is not none %}

with

periods as (
    select * from {{ ref('int_commissions__revshare_periods') }}
    where not is_closed_month
),

final as (
    select
        deal_id,
        affiliate_id,
        period_month,
        cast(players_ngr as decimal(18, 4)) as players_ngr,
        cast(players_ggr as decimal(18, 4)) as players_ggr,
        cast(admin_fee as decimal(18, 4)) as admin_fee,
        cast(affiliate_ngr as decimal(18, 4)) as affiliate_ngr,
        ndc_count,
        carried_in_ngr,
        revshare_base,
        tier_basis,
        tier_method,
        cast(tier_number as integer) as tier_number,
        cast(tier_rate as decimal(18, 4)) as tier_rate,
        applied_rate,
        revshare_amount_exact,
        revshare_amount,
        carried_out_ngr,
        case when revshare_amount > 0 then revshare_entry_id end as revshare_entry_id
    from periods
    {% if not building -%}
    where 1 = 0
    {%- endif %}
)

select * from final
