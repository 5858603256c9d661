{#- A grain of several columns is unique (dbt-core's `unique` takes one column). -#}
{% test unique_key_columns(model, columns) %}
    select
        {{ columns | join(", ") }},
        count(*) as occurrences
    from {{ model }}
    group by {{ columns | join(", ") }}
    having count(*) > 1
{% endtest %}
