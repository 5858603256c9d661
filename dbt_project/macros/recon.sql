{#-
    The reconciliation (recon.daily_checks): every check is a row with an expected and an
    actual figure, their difference (actual − expected), the absolute tolerance applied and
    a status. Tolerances are dbt vars (dbt_project.yml, block "reconciliation").
-#}

{#- Numbers of every check (counts and amounts alike), exact. -#}
{% macro recon_number(expression) -%}
    cast({{ expression }} as {{ type_money() }})
{%- endmacro %}

{#- pass where |difference| is within the tolerance, else fail. -#}
{% macro recon_status(difference, tolerance) -%}
    case when abs({{ difference }}) <= {{ tolerance }} then 'pass' else 'fail' end
{%- endmacro %}

{#- An absolute tolerance from a dbt var, as a number literal. -#}
{% macro recon_tolerance(name) -%}
    {{ recon_number("'" ~ var(name) ~ "'") }}
{%- endmacro %}

{#-
    A tolerance that grows with the day's volume: share × `rows`, at least `minimum_var`
    (small days would otherwise fail on a single row).
-#}
{% macro recon_share_tolerance(rows, share_var, minimum_var) -%}
    {{ recon_number(
        "greatest(cast('" ~ var(minimum_var) ~ "' as " ~ type_money() ~ "), "
        ~ rows ~ " * cast('" ~ var(share_var) ~ "' as " ~ type_money() ~ "))"
    ) }}
{%- endmacro %}

{#-
    The columns of a check row, from SQL expressions for each; difference and status are
    derived. Used by every int_recon__*_checks model so they union without surprises.
-#}
{% macro recon_check_columns(check_date, check_name, source, expected, actual, tolerance, detail) -%}
    cast({{ check_date }} as date) as check_date,
    cast({{ check_name }} as {{ dbt.type_string() }}) as check_name,
    cast({{ source }} as {{ dbt.type_string() }}) as source,
    {%- set difference = recon_number("(" ~ actual ~ ") - (" ~ expected ~ ")") %}
    {{ recon_number(expected) }} as expected,
    {{ recon_number(actual) }} as actual,
    {{ difference }} as difference,
    {{ recon_number(tolerance) }} as tolerance,
    {{ recon_status(difference, recon_number(tolerance)) }} as status,
    cast({{ detail }} as {{ dbt.type_string() }}) as detail
{%- endmacro %}

{#- The check days forced by var recon_days (a list of ISO dates), or none. -#}
{% macro recon_forced_days() -%}
    {%- set days = var("recon_days", none) -%}
    {%- if days is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if days is string -%}
        {%- set days = [days] -%}
    {%- endif -%}
    {{ return(days | list) }}
{%- endmacro %}

{#-
    The landed entities and what identifies a delivery of the same record version (rules §2):
    the primary key and updated_at; an immutable record by its key alone; the mutable files
    without updated_at (settlements, FX rates, provider reports) by their values. `happened`
    is the column whose UTC day the record belongs to (the contract's delivery day field).
-#}
{% macro recon_landed_entities() -%}
    {{ return([
        {"source": "affiliate", "name": "affiliates", "key": ["affiliate_id"],
         "version": ["updated_at"], "happened": "updated_at"},
        {"source": "affiliate", "name": "campaigns", "key": ["campaign_id"],
         "version": ["updated_at"], "happened": "updated_at"},
        {"source": "affiliate", "name": "deals", "key": ["deal_id"],
         "version": ["updated_at"], "happened": "updated_at"},
        {"source": "affiliate", "name": "clicks", "key": ["click_id"],
         "version": [], "happened": "clicked_at"},
        {"source": "crm", "name": "players", "key": ["player_id"],
         "version": ["updated_at"], "happened": "updated_at"},
        {"source": "crm", "name": "player_events", "key": ["event_id"],
         "version": [], "happened": "occurred_at"},
        {"source": "crm", "name": "bonuses", "key": ["bonus_txn_id"],
         "version": ["updated_at"], "happened": "updated_at"},
        {"source": "payments", "name": "transactions", "key": ["transaction_id"],
         "version": ["updated_at"], "happened": "updated_at"},
        {"source": "payments", "name": "settlements", "key": ["settlement_date", "psp", "currency"],
         "version": ["deposit_count", "deposit_amount", "withdrawal_count", "withdrawal_amount",
                     "chargeback_count", "chargeback_amount", "fee_amount"],
         "happened": "settlement_date"},
        {"source": "payments", "name": "fx_rates", "key": ["rate_date", "currency"],
         "version": ["rate_to_base"], "happened": "rate_date"},
        {"source": "games", "name": "games", "key": ["game_id"],
         "version": ["updated_at"], "happened": "updated_at"},
        {"source": "games", "name": "rounds", "key": ["round_id"],
         "version": ["updated_at"], "happened": "updated_at"},
        {"source": "games", "name": "provider_reports", "key": ["report_date", "provider", "currency"],
         "version": ["rounds_count", "stakes_real", "wins_real"], "happened": "report_date"},
    ]) }}
{%- endmacro %}

{#-
    Strategy `replace_check_days`: delete the target's rows of every day listed in the
    model named by config `check_days_model` (one `check_date` per day; any schema), then
    insert the model's rows. Like `replace_days`, it also clears a day left without rows.
-#}
{% macro get_incremental_replace_check_days_sql(arg_dict) -%}
    {%- set target = arg_dict["target_relation"] -%}
    {%- set days = ref(config.require("check_days_model")) -%}
    {%- set columns = get_quoted_csv(arg_dict["dest_columns"] | map(attribute="name")) -%}
    delete from {{ target }}
    where check_date in (select check_date from {{ days }});
    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ arg_dict["temp_relation"] }}
{%- endmacro %}

{#-
    Post-hook of int_recon__statement_checks (built by the monthly payout build, after the
    statements): replace the statement rows of recon.daily_checks with the fresh ones, so a
    payout build refreshes them without rebuilding the daily checks. Nothing happens before
    the daily checks exist (their first build reads the statement checks itself).
-#}
{% macro refresh_statement_checks(check_names) -%}
    {%- set checks = none -%}
    {%- if execute -%}
        {%- set checks = adapter.get_relation(
            database=this.database, schema="recon", identifier="daily_checks"
        ) -%}
    {%- endif -%}
    {%- if checks is not none -%}
    {%- set columns = [
        "check_date", "check_name", "source", "expected", "actual", "difference",
        "tolerance", "status", "detail"
    ] -%}
    delete from {{ checks }} where check_name in ('{{ check_names | join("', '") }}');
    insert into {{ checks }} ({{ columns | join(", ") }})
    select {{ columns | join(", ") }} from {{ this }}
    {%- else -%}
    select 1 as nothing_to_refresh
    {%- endif -%}
{%- endmacro %}
