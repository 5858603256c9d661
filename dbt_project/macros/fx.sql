{#-
    The rate that converts `currency_column` on the day joined as `rates_alias`
    (int_fx__daily_rates): 1 for the base currency, null where no rate is usable, so
    the amount is held back rather than counted as zero (rules §1).
-#}
{% macro rate_to_base(currency_column, rates_alias) -%}
    case
        when {{ currency_column }} = '{{ var("base_currency") }}'
            then cast(1 as decimal(18, 4))
        else {{ rates_alias }}.rate_to_base
    end
{%- endmacro %}
