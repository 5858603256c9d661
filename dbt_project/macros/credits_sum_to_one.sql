{#-
    Generic test: within each group (e.g. a player's path of clicks), every listed credit
    column adds up to exactly 1 (rules §4, analysis attribution). Fails with the groups
    and totals that do not.
-#}
{% test credits_sum_to_one(model, group_by, columns) %}
    select
        {{ group_by | join(", ") }},
        {%- for column in columns %}
        sum({{ column }}) as {{ column }}_total{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ model }}
    group by {{ group_by | join(", ") }}
    having
        {%- for column in columns %}
        sum({{ column }}) != 1{% if not loop.last %} or{% endif %}
        {%- endfor %}
{% endtest %}
