{#-
    A ledger entry's stable id (rules §11): a hash of what the entry is, so rebuilding from
    the same data gives the same id and never a duplicate. Null parts hash as empty.
-#}
{% macro entry_id(parts) -%}
    {%- set texts = [] -%}
    {%- for part in parts -%}
        {%- do texts.append("coalesce(cast(" ~ part ~ " as " ~ dbt.type_string() ~ "), '')") -%}
    {%- endfor -%}
    {{ dbt.hash("concat(" ~ texts | join(", '|', ") ~ ")") }}
{%- endmacro %}

{#- The surrogate key of a record version (type-2 dimensions): its key and updated_at. -#}
{% macro version_key(key_column) -%}
    {{ entry_id([key_column, "updated_at"]) }}
{%- endmacro %}
