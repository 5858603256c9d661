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

{#- A date of birth's stand-in (§12): the age band on the (UTC) day of `at`. Age in whole
    years counted with birthdays: one year less while the birthday (month, day) of that
    year is still ahead; born on 29 February, a year older on 1 March in common years.
    Bands 18-24, 25-34, 35-44, 45-54, 55-64, 65+ ('under 18' flags bad data); null without
    a date of birth. -#}
{% macro age_band(date_of_birth, at) -%}
    {%- set day = utc_date(at) -%}
    {%- set age -%}
        (
            extract(year from {{ day }}) - extract(year from {{ date_of_birth }})
            - case
                when
                    extract(month from {{ day }}) * 100 + extract(day from {{ day }})
                    < extract(month from {{ date_of_birth }}) * 100
                    + extract(day from {{ date_of_birth }})
                    then 1
                else 0
            end
        )
    {%- endset -%}
    case
        when {{ date_of_birth }} is null or {{ at }} is null then null
        when {{ age }} < 18 then 'under 18'
        when {{ age }} < 25 then '18-24'
        when {{ age }} < 35 then '25-34'
        when {{ age }} < 45 then '35-44'
        when {{ age }} < 55 then '45-54'
        when {{ age }} < 65 then '55-64'
        else '65+'
    end
{%- endmacro %}
