-- Commission ledger entries, each booked rounded half-even to cents (rules §1, §11), with a
-- stable id derived from what the entry is. Revenue share only, for now.
with

revshare as (
    select * from {{ ref('int_commissions__revshare_monthly') }}
    where revshare_amount_exact > 0
),

final as (
    select
        {{ entry_id(["'revshare'", 'affiliate_id', 'period_month', 'deal_id']) }} as entry_id,
        affiliate_id,
        period_month,
        'revshare' as entry_type,
        cast({{ round_half_even('revshare_amount_exact', 2) }} as decimal(18, 2)) as amount,
        cast(null as {{ dbt.type_string() }}) as player_id,
        deal_id,
        cast(null as {{ dbt.type_string() }}) as reverses_entry_id,
        concat(
            'revenue share ', cast(applied_rate as {{ dbt.type_string() }}),
            ' of affiliate NGR ', cast(cast(revshare_base as decimal(18, 4)) as {{ dbt.type_string() }})
        ) as reason
    from revshare
)

select * from final
