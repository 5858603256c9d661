{#-
    A type-2 history is a gapless, non-overlapping chain per key: each row is valid from
    `valid_from` up to, not including, `valid_to`; each valid_to is the next row's
    valid_from, and only the last row of a key is open (valid_to null). Returns the rows
    that break it.
-#}
{% test type2_intervals(model, key_columns, valid_from, valid_to) %}
    with

    intervals as (
        select
            {{ key_columns | join(", ") }},
            {{ valid_from }} as interval_from,
            {{ valid_to }} as interval_to,
            lead({{ valid_from }}) over (
                partition by {{ key_columns | join(", ") }}
                order by {{ valid_from }}
            ) as next_from
        from {{ model }}
    ),

    broken as (
        select *
        from intervals
        where
            interval_from is null
            or (interval_to is not null and interval_to <= interval_from)
            or (next_from is null and interval_to is not null)
            or (next_from is not null and (interval_to is null or interval_to != next_from))
    )

    select * from broken
{% endtest %}
