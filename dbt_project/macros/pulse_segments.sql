{#- The segment declaration (var pulse__segments in dbt_project.yml) and its checks.

    The declaration is the one place a segment is written: user_segment evaluates it,
    segment_catalogue publishes it, the tests read it. pulse_segments() checks its shape
    wherever it is read (a model that reads it fails to compile on a malformed entry);
    the on-run-start hook pulse_validate_segments() also compiles every `when` on the
    active warehouse, so a run with an invalid declaration builds nothing. -#}

{#- The declared segments, in priority order (the last one is the fallback); raises a
    compilation error naming every malformed entry. -#}
{% macro pulse_segments() -%}
    {%- set segments = var('pulse__segments', none) -%}
    {%- set problems = pulse_segment_problems(segments) -%}
    {%- if problems -%}
        {{ exceptions.raise_compiler_error(
            'invalid var pulse__segments:\n  ' ~ (problems | join('\n  '))
        ) }}
    {%- endif -%}
    {{ return(segments) }}
{%- endmacro %}

{#- What is wrong with a declaration, one sentence per problem, each naming its entry. -#}
{% macro pulse_segment_problems(segments) -%}
    {%- set problems = [] -%}
    {%- if segments is string or segments is mapping or segments is not iterable
        or segments | length == 0 -%}
        {%- do problems.append(
            'pulse__segments must be a non-empty list of entries (name, when, description)'
        ) -%}
        {{ return(problems) }}
    {%- endif -%}
    {%- set known_keys = ['name', 'when', 'description', 'description_ko'] -%}
    {%- set first_entry_named = {} -%}
    {%- for entry in segments -%}
        {%- set is_last = loop.last -%}
        {%- if entry is not mapping -%}
            {%- do problems.append(
                'entry ' ~ loop.index ~ ' is not a mapping with name, when and description'
            ) -%}
        {%- else -%}
            {%- set name = entry.get('name') -%}
            {%- set label = 'entry ' ~ loop.index ~ ' (' ~ (name if name is string else 'no name') ~ ')' -%}
            {%- for key in entry if key not in known_keys -%}
                {%- do problems.append(
                    label ~ ': unknown key "' ~ key ~ '" (known: ' ~ (known_keys | join(', ')) ~ ')'
                ) -%}
            {%- endfor -%}
            {%- if name is not string or not modules.re.fullmatch('[A-Z][A-Z0-9_]*', name) -%}
                {%- do problems.append(
                    label ~ ': the name must match ^[A-Z][A-Z0-9_]*$ (upper case letters, digits, _)'
                ) -%}
            {%- elif name == 'OVERRIDE' -%}
                {%- do problems.append(
                    label ~ ': the name OVERRIDE is reserved (the rule of an admin override)'
                ) -%}
            {%- elif name in first_entry_named -%}
                {%- do problems.append(
                    label ~ ': the name is already used by entry ' ~ first_entry_named[name]
                ) -%}
            {%- else -%}
                {%- do first_entry_named.update({name: loop.index}) -%}
            {%- endif -%}
            {%- set when = entry.get('when') -%}
            {%- if is_last and when is not none -%}
                {%- do problems.append(
                    label ~ ': the last entry is the fallback and must have no when'
                    ~ ' (add an entry without one after it)'
                ) -%}
            {%- elif not is_last and when is none -%}
                {%- do problems.append(
                    label ~ ': has no when; only the last entry, the fallback, goes without one'
                ) -%}
            {%- elif not is_last and (when is not string or when | trim == '') -%}
                {%- do problems.append(label ~ ': when must be a SQL boolean expression (text)') -%}
            {%- endif -%}
            {%- set description = entry.get('description') -%}
            {%- if description is not string or description | trim == '' -%}
                {%- do problems.append(label ~ ': needs a description (one sentence)') -%}
            {%- endif -%}
            {%- set description_ko = entry.get('description_ko') -%}
            {%- if description_ko is not none and description_ko is not string -%}
                {%- do problems.append(label ~ ': description_ko must be text') -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(problems) }}
{%- endmacro %}

{#- The row every `when` is evaluated over: one per player, the profile columns of
    user_activity the rules may read (name, type), and as_of. user_segment selects
    these columns; the validation compiles each `when` against them. -#}
{% macro pulse_segment_profile_columns() -%}
    {%- set moment = pulse_type_timestamptz() -%}
    {{ return([
        ('user_id', dbt.type_int()),
        ('created_at', moment),
        ('roulette_plays', dbt.type_bigint()),
        ('dice_plays', dbt.type_bigint()),
        ('lottery_plays', dbt.type_bigint()),
        ('total_play_duration', dbt.type_bigint()),
        ('last_bonus_used_at', moment),
        ('last_login_at', moment),
        ('last_play_at', moment),
        ('last_charge_at', moment),
        ('deposit_30d', dbt.type_numeric()),
        ('last_active_at', moment),
        ('updated_at', moment),
    ]) }}
{%- endmacro %}

{#- Whether the entry's `when` held, as a SQL boolean (false where it is null). The
    expression stands on lines of its own, so a trailing `--` comment cannot swallow
    the closing parenthesis. -#}
{% macro pulse_segment_condition(entry) -%}
    case
        when (
            {{ entry.when }}
        ) then true
        else false
    end
{%- endmacro %}

{#- A text as a SQL string literal of the active warehouse. -#}
{% macro pulse_sql_string(text) -%}
    {{ return(adapter.dispatch('pulse_sql_string', 'pulse')(text)) }}
{%- endmacro %}

{% macro default__pulse_sql_string(text) -%}
    {{ return("'" ~ (text | replace("'", "''")) ~ "'") }}
{%- endmacro %}

{#- Spark reads a backslash in a string literal as an escape. -#}
{% macro spark__pulse_sql_string(text) -%}
    {{ return("'" ~ (text | replace('\\', '\\\\') | replace("'", "\\'")) ~ "'") }}
{%- endmacro %}

{#- A text as a string literal, or null when there is none (an entry's optional key). -#}
{% macro pulse_sql_string_or_null(text) -%}
    {{ return('null' if text is none else pulse_sql_string(text)) }}
{%- endmacro %}

{#- A query that evaluates one entry's `when` over a row of the evaluation shape: it
    compiles exactly when the expression does (columns, types, syntax). -#}
{% macro pulse_segment_probe_sql(entry) -%}
    {%- set columns = [] -%}
    {%- for column, type in pulse_segment_profile_columns() -%}
        {%- do columns.append('cast(null as ' ~ type ~ ') as ' ~ column) -%}
    {%- endfor -%}
    {%- do columns.append(pulse_as_of() ~ ' as as_of') -%}
    {{ return(
        'select 1 as probe from (select ' ~ (columns | join(', ')) ~ ') as evaluation_row'
        ~ ' where (\n' ~ entry.when ~ '\n)'
    ) }}
{%- endmacro %}

{#- on-run-start hook: checks the declaration, then compiles every `when` on the active
    warehouse; an error names the entry, and the run builds nothing
    (flag skip_nodes_if_on_run_start_fails). -#}
{% macro pulse_validate_segments() -%}
    {%- set segments = pulse_segments() -%}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set rules = [] -%}
    {%- for entry in segments[:-1] -%}
        {%- do rules.append({'index': loop.index, 'name': entry.name, 'when': entry.when}) -%}
    {%- endfor -%}
    {{ return(adapter.dispatch('pulse_validate_segments', 'pulse')(rules)) }}
{%- endmacro %}

{#- One statement: each probe runs as dynamic SQL in a block of its own, whose handler
    re-raises the engine's error with the entry's name. -#}
{% macro postgres__pulse_validate_segments(rules) -%}
    {%- if rules | length == 0 -%}
        {{ return('') }}
    {%- endif -%}
    do $pulse_validate_segments$
    begin
    {%- for rule in rules %}
        begin
            execute {{ pulse_sql_string(pulse_segment_probe_sql(rule)) }};
        exception when others then
            raise exception 'invalid var pulse__segments: entry % (%): its when does not compile on PostgreSQL: %',
                {{ rule.index }}, {{ pulse_sql_string(rule.name) }}, sqlerrm;
        end;
    {%- endfor %}
    end
    $pulse_validate_segments$
{%- endmacro %}

{#- Spark answers EXPLAIN of a statement it cannot parse or analyze with the error as
    text instead of failing (the statement is given to EXECUTE IMMEDIATE, so a syntax
    error is found there too): each entry is probed on its own and named in the error. -#}
{% macro spark__pulse_validate_segments(rules) -%}
    {%- for rule in rules -%}
        {%- set plan = run_query(
            'explain execute immediate ' ~ pulse_sql_string(pulse_segment_probe_sql(rule))
        ) -%}
        {%- set refused = 'Error occurred during query planning:' -%}
        {%- set reasons = [] -%}
        {%- for row in plan.columns[0].values() | map('string') -%}
            {%- if refused in row -%}
                {%- do reasons.append(row.split(refused, 1)[1]) -%}
            {%- elif reasons -%}
                {%- do reasons.append(row) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if reasons -%}
            {#- the engine's message is the first line after the marker; the plan follows -#}
            {%- set reason = (reasons | map('trim') | select | first).splitlines()[0] -%}
            {{ exceptions.raise_compiler_error(
                'invalid var pulse__segments: entry ' ~ rule.index ~ ' (' ~ rule.name
                ~ '): its when does not compile on Spark: ' ~ reason
            ) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return('') }}
{%- endmacro %}

{#- Other engines: the declaration's shape is checked; a `when` the engine refuses
    fails the build of user_segment, before it is written. -#}
{% macro default__pulse_validate_segments(rules) -%}
    {{ return('') }}
{%- endmacro %}

{#- Ends the subquery that evaluates the `when`s, so each is evaluated once per player.
    PostgreSQL pulls a subquery up into the query that reads it and computes a column
    again at every reference: segment, rule and matched_segments would each evaluate
    every `when` anew. PostgreSQL never pulls up a subquery with an OFFSET, and
    `offset 0` neither skips nor copies rows. Spark computes such columns once anyway. -#}
{% macro pulse_evaluate_once() -%}
    {{ return(adapter.dispatch('pulse_evaluate_once', 'pulse')()) }}
{%- endmacro %}

{% macro default__pulse_evaluate_once() -%}
    {{ return('') }}
{%- endmacro %}

{% macro postgres__pulse_evaluate_once() -%}
    {{ return('offset 0') }}
{%- endmacro %}
