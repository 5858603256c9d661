{#- The UTC calendar day of a timestamp (timestamps are stored in UTC). -#}
{% macro utc_date(expression) -%}
    cast({{ expression }} as date)
{%- endmacro %}

{#- First day of the month of a date or timestamp, as a date. -#}
{% macro month_start(expression) -%}
    cast({{ dbt.date_trunc("month", expression) }} as date)
{%- endmacro %}

{#- Last day of the month of a date, as a date. -#}
{% macro month_end(expression) -%}
    cast({{ dbt.last_day(expression, "month") }} as date)
{%- endmacro %}
