{#- Money is exact decimal. A booked ledger amount is rounded half-even (rules §1). -#}
{% macro round_half_even(expression, places=2) -%}
    {{ return(adapter.dispatch("round_half_even", "igw")(expression, places)) }}
{%- endmacro %}

{% macro duckdb__round_half_even(expression, places) -%}
    round_even({{ expression }}, {{ places }})
{%- endmacro %}

{% macro spark__round_half_even(expression, places) -%}
    bround({{ expression }}, {{ places }})
{%- endmacro %}

{% macro default__round_half_even(expression, places) -%}
    round({{ expression }}, {{ places }})
{%- endmacro %}

{#- The exact type every converted amount is held in. -#}
{% macro type_money() -%}
    decimal(38, 10)
{%- endmacro %}
