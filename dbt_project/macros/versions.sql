{#-
    Every version of each record of a mutable entity (rules §2): one row per primary key
    and updated_at. Identical re-deliveries and re-landings of a version count once: the
    latest landing is kept (latest _ingested_at, then highest _batch_id). A version is
    valid from its updated_at up to, not including, the next version's; the current one
    has no end. `columns` are the entity's own columns, updated_at last.
-#}
{% macro record_versions(relation, primary_key, columns) -%}
    {%- set keys = primary_key | join(", ") -%}
    with

    deliveries as (
        select
            {% for column in columns -%}
            {{ column }},
            {% endfor -%}
            _batch_id,
            _ingested_at,
            _source,
            cast(ingest_date as date) as _ingest_date,
            row_number() over (
                partition by {{ keys }}, updated_at
                order by _ingested_at desc, _batch_id desc
            ) as delivery_rank
        from {{ relation }}
    ),

    versions as (
        select
            *,
            row_number() over (partition by {{ keys }} order by updated_at) as version_number,
            lead(updated_at) over (partition by {{ keys }} order by updated_at)
                as next_updated_at
        from deliveries
        where delivery_rank = 1
    ),

    final as (
        select
            {% for column in columns -%}
            {{ column }},
            {% endfor -%}
            _batch_id,
            _ingested_at,
            _source,
            _ingest_date,
            version_number,
            updated_at as version_valid_from,
            next_updated_at as version_valid_to,
            next_updated_at is null as is_current_version
        from versions
    )

    select * from final
{%- endmacro %}

{#- The current version of each record, from its `_versions` model, with the same columns. -#}
{% macro current_of_versions(versions_relation, columns) -%}
    with

    versions as (
        select * from {{ versions_relation }}
    ),

    final as (
        select
            {% for column in columns -%}
            {{ column }},
            {% endfor -%}
            _batch_id,
            _ingested_at,
            _source,
            _ingest_date
        from versions
        where is_current_version
    )

    select * from final
{%- endmacro %}
