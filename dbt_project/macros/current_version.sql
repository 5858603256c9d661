{#-
    The current version of each record (business-rules §2): highest updated_at, then the
    latest _ingested_at, then the highest _batch_id. Identical re-deliveries rank apart
    and so count once. Returns a query with a `version_rank` column; keep rank 1.
-#}
{% macro current_version(relation, primary_key, version_column=none) -%}
    select
        landed.*,
        row_number() over (
            partition by {{ primary_key | join(", ") }}
            order by
                {% if version_column %}{{ version_column }} desc, {% endif -%}
                _ingested_at desc,
                _batch_id desc
        ) as version_rank
    from {{ relation }} as landed
{%- endmacro %}
