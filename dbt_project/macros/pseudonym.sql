{#-
    Pseudonyms (business-rules §12): a keyed hash (hex HMAC-SHA256) stands in for PII in
    every table BI, finance or compliance reads. The key is never in SQL: the engine's
    function `igw_keyed_hash` holds it (DuckDB: registered by the dbt-duckdb plugin
    igw.warehouse_functions from IGW_PSEUDONYM_KEY or <data dir>/secrets/pseudonym.key).
    Null in, null out. Use email_pseudonym / ip_pseudonym so a value normalises the same
    way in every model and pseudonyms join.
-#}
{% macro keyed_hash(expression) -%}
    {{ return(adapter.dispatch("keyed_hash", "igw")(expression)) }}
{%- endmacro %}

{% macro duckdb__keyed_hash(expression) -%}
    igw_keyed_hash(cast({{ expression }} as varchar))
{%- endmacro %}

{#- Other engines (Spark: spark.udf.register) register the same function under that name. -#}
{% macro default__keyed_hash(expression) -%}
    igw_keyed_hash(cast({{ expression }} as {{ dbt.type_string() }}))
{%- endmacro %}

{#- An email's pseudonym: the keyed hash of the normalised email (lower-case, trimmed, §3);
    an empty value is no email and gets no pseudonym. -#}
{% macro email_pseudonym(expression) -%}
    {{ keyed_hash("nullif(lower(trim(" ~ expression ~ ")), '')") }}
{%- endmacro %}

{#- An IP address's pseudonym: the keyed hash of the address, trimmed and lower-cased
    (IPv6); an empty value gets none. -#}
{% macro ip_pseudonym(expression) -%}
    {{ keyed_hash("nullif(lower(trim(" ~ expression ~ ")), '')") }}
{%- endmacro %}
