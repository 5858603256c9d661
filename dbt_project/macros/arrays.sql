{#- One row per element of an array column (DuckDB unnest, Spark explode). -#}
{% macro explode_array(expression) -%}
    {{ return(adapter.dispatch("explode_array", "igw")(expression)) }}
{%- endmacro %}

{% macro default__explode_array(expression) -%}
    unnest({{ expression }})
{%- endmacro %}

{% macro spark__explode_array(expression) -%}
    explode({{ expression }})
{%- endmacro %}
