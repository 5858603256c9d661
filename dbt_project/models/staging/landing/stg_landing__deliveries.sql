-- What each landing partition brought, per entity (for the reconciliation): rows landed,
-- duplicate rows (a delivery of a record version landed before: the same key and
-- updated_at, or the same values for the files without updated_at; rules §2 counts it
-- once) and late rows: rows that an earlier ingestion run should have landed, i.e. some
-- run (a landing partition of any entity) lies between the day the record happened and
-- the run that landed it. Run nightly, that is "landed more than a day after it happened"
-- (day D's run lands at the end of D); run weekly, a record is late only if it missed its
-- week's run.
-- Incremental: a build recounts the landing partitions of its window (vars min_date and
-- max_date), comparing their rows with every landing of the same keys.
{{
    config(
        materialized="incremental",
        incremental_strategy="delete+insert",
        unique_key=["entity", "ingest_date"],
        on_schema_change="fail",
    )
}}
{%- set entities = recon_landed_entities() %}

with

{% for landed_entity in entities -%}
{%- set relation = source(landed_entity.source, landed_entity.name) -%}
{%- set identity = landed_entity.key + landed_entity.version -%}
{% if is_incremental() -%}
{{ landed_entity.name }}_window_keys as (
    select distinct
        {{ landed_entity.key | join(",\n        ") }}
    from {{ relation }}
    where {{ in_build_window("cast(ingest_date as date)") }}
),
{%- endif %}

{{ landed_entity.name }}_deliveries as (
    select
        '{{ landed_entity.source }}.{{ landed_entity.name }}' as entity,
        cast(landed.ingest_date as date) as ingest_date,
        {{ utc_date("landed." ~ landed_entity.happened) }} as happened_date,
        row_number() over (
            partition by
            {% for column in identity -%}
                landed.{{ column }}{% if not loop.last %},{% endif %}
            {% endfor -%}
            order by landed._ingested_at asc, landed._batch_id asc, landed.ingest_date asc
        ) as delivery_number
    from {{ relation }} as landed
    {% if is_incremental() -%}
    inner join {{ landed_entity.name }}_window_keys as window_keys
        on
            {% for column in landed_entity.key -%}
            landed.{{ column }} = window_keys.{{ column }}{% if not loop.last %} and{% endif %}
            {% endfor %}
    {%- endif %}
),

{% endfor -%}

deliveries as (
    {% for landed_entity in entities -%}
    select * from {{ landed_entity.name }}_deliveries
    {% if not loop.last %}union all
    {% endif -%}
    {%- endfor %}
),

counted as (
    select * from deliveries
    {% if is_incremental() -%}
    where {{ in_build_window("ingest_date") }}
    {%- endif %}
),

-- The days an ingestion run landed something, whatever the entity.
run_days as (
    select distinct ingest_date as run_date from deliveries
    {% if is_incremental() -%}
    union
    select distinct ingest_date as run_date from {{ this }}
    {%- endif %}
),

by_happened_day as (
    select
        entity,
        ingest_date,
        happened_date,
        count(*) as rows_landed,
        sum(case when delivery_number > 1 then 1 else 0 end) as duplicate_rows
    from counted
    group by entity, ingest_date, happened_date
),

-- Rows of a day that some run before theirs could have landed (a plain join rather than a
-- correlated subquery, for engines without one).
late_groups as (
    select distinct
        by_happened_day.entity,
        by_happened_day.ingest_date,
        by_happened_day.happened_date
    from by_happened_day
    inner join run_days
        on
            by_happened_day.happened_date <= run_days.run_date
            and by_happened_day.ingest_date > run_days.run_date
),

final as (
    select
        by_happened_day.entity,
        by_happened_day.ingest_date,
        cast(sum(by_happened_day.rows_landed) as bigint) as rows_landed,
        cast(sum(by_happened_day.duplicate_rows) as bigint) as duplicate_rows,
        cast(
            sum(
                case
                    when late_groups.entity is not null then by_happened_day.rows_landed else 0
                end
            ) as bigint
        ) as late_rows
    from by_happened_day
    left join late_groups
        on
            by_happened_day.entity = late_groups.entity
            and by_happened_day.ingest_date = late_groups.ingest_date
            and by_happened_day.happened_date = late_groups.happened_date
    group by by_happened_day.entity, by_happened_day.ingest_date
)

select * from final
