{#-
    The payout books (rules §11): tables in schema finance that keep what a payout build
    booked. An open month's rows are provisional and replaced by each build; a closed
    month's rows never change again. `finance.payout_closures` lists the closed months.
-#}

{#-
    The rows of the closed months of a book as they stood before this build, or an empty
    relation with `columns` (name: type) where the book does not exist yet.

    Models that compute the new entries need the closed books, and the books are built from
    those models: a ref() would be a cycle. This reads the book's earlier state instead,
    like `{{ this }}`; dbt still orders the build correctly because the book refs the model.
-#}
{% macro closed_book_rows(identifier, columns, closures) -%}
    {%- set book = none -%}
    {%- if execute -%}
        {%- set book = adapter.get_relation(
            database=closures.database, schema=closures.schema, identifier=identifier
        ) -%}
    {%- endif -%}
    {%- if book is not none -%}
    select
        {% for name in columns -%}
        {{ name }}{% if not loop.last %},{% endif %}
        {% endfor -%}
    from {{ book }}
    where period_month in (select closures.period_month from {{ closures }} as closures)
    {%- else -%}
    select
        {% for name, type in columns.items() -%}
        cast(null as {{ type }}) as {{ name }}{% if not loop.last %},{% endif %}
        {% endfor -%}
    where 1 = 0
    {%- endif %}
{%- endmacro %}

{#-
    Strategy `replace_open_months` for the books: delete every row of a month that is not
    closed (provisional rows, including those of open months after the one built now, which
    were computed on an older chain), then insert the build's rows. Closed months are never
    touched. Nothing happens unless a payout build is running (var payout_month), so a
    plain `dbt build` leaves the books as they are. Config `closures_model` names the
    closures table, in the same schema.
-#}
{% macro get_incremental_replace_open_months_sql(arg_dict) -%}
    {%- set target = arg_dict["target_relation"] -%}
    {%- set closures = target.incorporate(path={"identifier": config.require("closures_model")}) -%}
    {%- set columns = get_quoted_csv(arg_dict["dest_columns"] | map(attribute="name")) -%}
    {%- if var("payout_month") is not none -%}
    delete from {{ target }}
    where period_month not in (select closures.period_month from {{ closures }} as closures);
    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ arg_dict["temp_relation"] }}
    {%- else -%}
    select 1 where 1 = 0
    {%- endif -%}
{%- endmacro %}

{#-
    The months a payout build books, first open month to var payout_month, as ISO date
    strings; empty outside a payout build or at parse time. `calendar` is the relation of
    int_commissions__payout_calendar (passed as a ref so dbt records the dependency).
-#}
{% macro payout_book_months(calendar) -%}
    {%- if not execute or var("payout_month") is none -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set row = run_query(
        "select cast(first_open_month as " ~ dbt.type_string() ~ "), cast(payout_month as "
        ~ dbt.type_string() ~ ") from " ~ calendar
    ).rows[0] -%}
    {%- if row[0] is none or row[1] is none -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set first = modules.datetime.date.fromisoformat(row[0][:10]) -%}
    {%- set last = modules.datetime.date.fromisoformat(row[1][:10]) -%}
    {%- set months = [] -%}
    {%- set state = {"month": first} -%}
    {%- for _ in range(1200) -%}
        {%- if state.month <= last -%}
            {%- do months.append(state.month.isoformat()) -%}
            {%- set current = state.month -%}
            {%- do state.update({"month": modules.datetime.date(
                current.year + (current.month // 12), current.month % 12 + 1, 1
            )}) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(months) }}
{%- endmacro %}

{#- The closed months' ledger entries (see closed_book_rows). -#}
{% macro closed_ledger_rows() -%}
    {{ closed_book_rows(
        'commission_ledger',
        {
            'entry_id': dbt.type_string(),
            'affiliate_id': dbt.type_string(),
            'period_month': 'date',
            'entry_type': dbt.type_string(),
            'amount': 'decimal(18, 2)',
            'player_id': dbt.type_string(),
            'deal_id': dbt.type_string(),
            'reverses_entry_id': dbt.type_string(),
            'child_affiliate_id': dbt.type_string(),
            'source_month': 'date',
            'source_date': 'date',
            'source_record_id': dbt.type_string(),
        },
        ref('payout_closures'),
    ) }}
{%- endmacro %}

{#- Where an entry is booked (rules §11): its own month, or the first open month if that
    one is closed. -#}
{% macro booking_month(source_month, first_open_month) -%}
    case
        when {{ source_month }} < {{ first_open_month }} then {{ first_open_month }}
        else {{ source_month }}
    end
{%- endmacro %}

{#-
    Adjustment entries (rules §11) from a CTE `differences` of closed months' recomputed and
    booked amounts (affiliate_id, deal_id, adjusted_month, recomputed_amount, booked_amount,
    booked_entry_id, adjusted_entry_id): recomputed − booked, booked in the first open month
    (CTE `calendar`), naming the entry adjusted. `reason` and `child_affiliate_id` are SQL.
-#}
{% macro adjustment_entries(differences, reason, child_affiliate_id) -%}
    select
        {{ entry_id([
            "'adjustment'", differences ~ '.affiliate_id', 'calendar.first_open_month',
            differences ~ '.adjusted_entry_id'
        ]) }} as entry_id,
        {{ differences }}.affiliate_id,
        calendar.first_open_month as period_month,
        'adjustment' as entry_type,
        {{ differences }}.recomputed_amount - {{ differences }}.booked_amount as amount,
        cast(null as {{ dbt.type_string() }}) as player_id,
        {{ differences }}.deal_id,
        {{ differences }}.booked_entry_id as reverses_entry_id,
        {{ reason }} as reason,
        {{ child_affiliate_id }} as child_affiliate_id,
        {{ differences }}.adjusted_month as source_month,
        cast(null as date) as source_date,
        {{ differences }}.adjusted_entry_id as source_record_id
    from {{ differences }}
    cross join calendar
    where
        {{ differences }}.recomputed_amount != {{ differences }}.booked_amount
        and calendar.first_open_month <= calendar.payout_month
{%- endmacro %}
