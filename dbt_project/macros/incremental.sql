{#-
    Incremental builds (issue 4). A nightly build processes the landing partitions of its
    window (vars min_date/max_date: Dagster passes the partition, `igw build` the days
    landed since its last build); their defaults cover all history, so a plain
    `dbt build` reprocesses everything and stays exact.
-#}

{#- True where a landing partition (ingest date) lies in this build's window. -#}
{% macro in_build_window(column) -%}
    {{ column }} between cast('{{ var("min_date") }}' as date)
    and cast('{{ var("max_date") }}' as date)
{%- endmacro %}

{#-
    The current version of each record (rules §2) kept incrementally: the versions landed
    in the window compete with the version already stored for the same key, so the result
    equals ranking every landed version, without reading history. Rows keep `_ingest_date`
    (the partition their version landed in): downstream models reprocess a row when its
    `_ingest_date` lies in the window.
-#}
{% macro incremental_current_version(relation, primary_key, columns, version_column=none) -%}
    {%- set load_columns = ["_batch_id", "_ingested_at", "_source"] -%}
    {%- set all_columns = columns + load_columns -%}
    with

    landed as (
        select
            {% for column in all_columns -%}
            {{ column }},
            {% endfor -%}
            cast(ingest_date as date) as _ingest_date
        from {{ relation }}
        {% if is_incremental() -%}
        where {{ in_build_window("ingest_date") }}
        {%- endif %}
    ),

    {% if is_incremental() -%}
    stored as (
        select
            {% for column in all_columns -%}
            {{ column }},
            {% endfor -%}
            _ingest_date
        from {{ this }}
        where {{ primary_key | join(" || '|' || ") }} in (
            select {{ primary_key | join(" || '|' || ") }} from landed
        )
    ),
    {%- endif %}

    candidates as (
        select * from landed
        {% if is_incremental() -%}
        union all
        select * from stored
        {%- endif %}
    ),

    ranked as (
        select
            *,
            row_number() over (
                partition by {{ primary_key | join(", ") }}
                order by
                    {% if version_column %}{{ version_column }} desc, {% endif -%}
                    _ingested_at desc,
                    _batch_id desc,
                    _ingest_date asc
            ) as version_rank
        from candidates
    ),

    final as (
        select
            {% for column in all_columns -%}
            {{ column }},
            {% endfor -%}
            _ingest_date
        from ranked
        where version_rank = 1
    )

    select * from final
{%- endmacro %}

{#-
    Strategy `replace_days`: delete the target's rows of every day listed in the model
    named by config `reopened_days_model` (a table in the target's schema with one
    `reopened_date` per day), then insert the model's rows. Unlike delete+insert it also
    clears a reopened day that has no rows left (every round of the day re-sent cancelled).
    Config `day_column` names the target's day column.
-#}
{% macro get_incremental_replace_days_sql(arg_dict) -%}
    {%- set target = arg_dict["target_relation"] -%}
    {%- set days = target.incorporate(path={"identifier": config.require("reopened_days_model")}) -%}
    {%- set columns = get_quoted_csv(arg_dict["dest_columns"] | map(attribute="name")) -%}
    delete from {{ target }}
    where {{ config.require("day_column") }} in (select reopened_date from {{ days }});
    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ arg_dict["temp_relation"] }}
{%- endmacro %}

{#-
    The rows of `relation_alias` an incremental build reprocesses: their version landed in
    the window, or the rate of their day (`day_column`, in `currency`) may have changed
    (CTE `changed_rate_days`, from int_fx__changed_rate_days). Nothing on a full build.
-#}
{% macro where_reprocessed(relation_alias, day_column) -%}
    {% if is_incremental() -%}
    where
        {{ in_build_window(relation_alias ~ '._ingest_date') }}
        or exists (
            select 1
            from changed_rate_days
            where
                changed_rate_days.currency = {{ relation_alias }}.currency
                and changed_rate_days.rate_day = {{ relation_alias }}.{{ day_column }}
        )
    {%- endif %}
{%- endmacro %}
