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

{#-
    numerator ÷ denominator rounded half-even to `scale` places, exactly: DuckDB divides
    decimals in floating point, which can turn an exact tie (0.15 ÷ 0.4 = 0.375) into
    0.37499… So the quotient is taken in 128-bit integers (operands to 10 decimal places).
    Null when the denominator is zero or null.
-#}
{% macro divide_exact(numerator, denominator, scale) -%}
    {{ return(adapter.dispatch("divide_exact", "igw")(numerator, denominator, scale)) }}
{%- endmacro %}

{% macro duckdb__divide_exact(numerator, denominator, scale) -%}
    {%- set n = "cast(cast((" ~ numerator ~ ") as decimal(38, 10)) * 10000000000 as hugeint)" -%}
    {%- set d = "cast(cast((" ~ denominator ~ ") as decimal(38, 10)) * 10000000000 as hugeint)" -%}
    {%- set m = "(abs(" ~ n ~ ") * cast(1" ~ "0" * scale ~ " as hugeint))" -%}
    {%- set q = "(" ~ m ~ " // nullif(abs(" ~ d ~ "), 0))" -%}
    {%- set r = "(" ~ m ~ " % nullif(abs(" ~ d ~ "), 0))" -%}
    case
        when ({{ denominator }}) is null or {{ d }} = 0 then null
        else cast(
            cast(
                sign({{ n }}) * sign({{ d }}) * (
                    {{ q }} + case
                        when 2 * {{ r }} > abs({{ d }}) then 1
                        when 2 * {{ r }} = abs({{ d }}) and {{ q }} % 2 = 1 then 1
                        else 0
                    end
                ) as decimal(38, 0)
            ) * cast('{{ "0." ~ "0" * (scale - 1) ~ "1" }}' as decimal(18, {{ scale }}))
            as decimal(38, {{ scale }})
        )
    end
{%- endmacro %}

{% macro default__divide_exact(numerator, denominator, scale) -%}
    case
        when ({{ denominator }}) = 0 then null
        else cast({{ round_half_even("(" ~ numerator ~ ") / (" ~ denominator ~ ")", scale) }}
            as decimal(38, {{ scale }}))
    end
{%- endmacro %}
