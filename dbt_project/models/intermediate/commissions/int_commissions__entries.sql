-- Every ledger entry a payout build books in the open months up to the month built
-- (rules §7–11), each with its stable id; finance.commission_ledger stores them.
with

cpa_entries as (
    select * from {{ ref('int_commissions__cpa_entries') }}
),

revshare_entries as (
    select * from {{ ref('int_commissions__revshare_entries') }}
),

sub_affiliate_entries as (
    select * from {{ ref('int_commissions__sub_affiliate_entries') }}
),

{%- set columns = [
    "entry_id", "affiliate_id", "period_month", "entry_type", "amount", "player_id", "deal_id",
    "reverses_entry_id", "reason", "child_affiliate_id", "source_month", "source_date",
    "source_record_id",
] %}

final as (
    {% for part in ["cpa_entries", "revshare_entries", "sub_affiliate_entries"] -%}
    select
    {% for column in columns -%}
        {{ column }}{% if not loop.last %},{% endif %}
    {% endfor -%}
    from {{ part }}
    {% if not loop.last %}union all{% endif %}
    {% endfor -%}
)

select * from final
