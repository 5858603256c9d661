{#-
    The type of a UTC instant as the landed timestamps have it (DuckDB reads the landing
    zone's UTC timestamps as `timestamp with time zone`; Spark has one timestamp type).
    For casts that must union or compare with landed times without a silent conversion.
-#}
{% macro type_utc_timestamp() -%}
    {{ return(adapter.dispatch("type_utc_timestamp", "igw")()) }}
{%- endmacro %}

{% macro duckdb__type_utc_timestamp() -%}
    timestamp with time zone
{%- endmacro %}

{% macro default__type_utc_timestamp() -%}
    {{ dbt.type_timestamp() }}
{%- endmacro %}
