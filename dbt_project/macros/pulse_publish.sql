{#- The publish gate, the project's on-run-end hook (dbt_project.yml).

    A run builds user_segment, segment_catalogue and user_segment_transitions into
    analytics_candidate, which no reader reads, and tests them there. Only when every
    node and test of the run passed does this hook publish, in ONE transaction: the
    transitions are appended to the history and the change feed, then the candidate
    tables replace the published ones by `alter table ... set schema`. Readers see the
    old state or the new one, never a mix, and wait only for the renames, which come
    last so their exclusive locks are held for an instant. Any failed, errored or
    skipped node publishes nothing, and the log says which.

    Runs that did not build user_segment_transitions (`dbt test`, a partial selection,
    the dry run's `+user_segment`) publish nothing and say nothing.

    The transaction's work is one hook and its COMMIT the next (pulse_publish_commit),
    sent only once the work has succeeded: a run killed meanwhile never commits. -#}
{% macro pulse_publish(results) -%}
    {%- set not_passed = pulse_not_passed(results) -%}
    {%- if not_passed is none -%}
        {{ return('') }}
    {%- endif -%}
    {%- if not_passed -%}
        {{ log(
            'publish gate: nothing was published: ' ~ not_passed | length
            ~ ' node(s) did not pass: ' ~ not_passed[:5] | join(', ')
            ~ (' ...' if not_passed | length > 5 else ''),
            info=True,
        ) }}
        {{ return('') }}
    {%- endif -%}
    {%- set prefix = var('pulse__schema_prefix', '') -%}
    {%- set replay = env_var('PULSE_REPLAY', '') | trim in ('1', 'true') -%}
    {{ log(
        'publish gate: every node passed; publishing user_segment, segment_catalogue'
        ~ (' (a replay: no history or change recorded)' if replay else ', the history and the change feed'),
        info=True,
    ) }}
    {{ return(pulse_publish_sql(prefix, replay)) }}
{%- endmacro %}


{#- The second on-run-end hook: commits what pulse_publish wrote (dbt runs it only when
    the first hook succeeded). -#}
{% macro pulse_publish_commit(results) -%}
    {{ return('commit' if pulse_not_passed(results) == [] else '') }}
{%- endmacro %}


{#- The nodes of the run that did not pass, as "unique_id (status)"; none when the run
    is not one that publishes (not PostgreSQL, a dry run, or no transitions built). -#}
{% macro pulse_not_passed(results) -%}
    {%- if not execute or target.type != 'postgres' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if var('pulse__schema_prefix', '').startswith('dryrun_') -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set built = results | selectattr('node.resource_type', 'equalto', 'model')
        | selectattr('node.name', 'equalto', 'user_segment_transitions') | list -%}
    {%- if built | length == 0 -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set not_passed = [] -%}
    {%- for result in results -%}
        {%- if result.status not in ('success', 'pass', 'warn') -%}
            {%- do not_passed.append(result.node.unique_id ~ ' (' ~ result.status ~ ')') -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(not_passed) }}
{%- endmacro %}


{#- The publish transaction (PostgreSQL). -#}
{% macro pulse_publish_sql(prefix, replay) -%}
    {%- set candidate_schema = prefix ~ 'analytics_candidate' -%}
    {%- set published_schema = prefix ~ 'analytics' -%}
    {%- set history_schema = prefix ~ 'snapshots' -%}
    {%- set transitions = candidate_schema ~ '.user_segment_transitions' -%}
    {%- set history = history_schema ~ '.user_segment_history' -%}
    {%- set changes = published_schema ~ '.user_segment_changes' -%}
    {%- set history_exists = adapter.get_relation(
        database=target.database, schema=history_schema, identifier='user_segment_history'
    ) is not none -%}
    {%- set changes_exist = adapter.get_relation(
        database=target.database, schema=published_schema, identifier='user_segment_changes'
    ) is not none -%}
    {%- set version_columns = [
        'user_id', 'segment', 'rule', 'matched_segments', 'last_active_at', 'deposit_30d',
        'created_at', 'as_of', 'computed_at', 'override_reason', 'override_expires_at',
    ] -%}
    -- pulse publish gate (first, so the statement shows in pg_stat_activity's truncated text)
    begin;
    create schema if not exists {{ published_schema }};
    create schema if not exists {{ history_schema }};
    {% if not replay %}
    {% if not history_exists -%}
    -- One row per player and version of (segment, rule); dbt_valid_to null = current.
    -- The column names are those of the dbt snapshot that kept the history before.
    create table {{ history }} as
    select
        {{ version_columns | join(', ') }},
        change_id as dbt_scd_id,
        computed_at as dbt_updated_at,
        computed_at as dbt_valid_from,
        computed_at as dbt_valid_to
    from {{ transitions }}
    with no data;
    -- one player's periods (the admin API), the open version of each player (closed by
    -- the next transition; a second one is refused), the versions a run opened
    create index user_segment_history_user_id_idx on {{ history }} (user_id, dbt_valid_from);
    create unique index user_segment_history_open_version_idx on {{ history }} (user_id)
        where dbt_valid_to is null;
    create index user_segment_history_valid_from_idx on {{ history }} (dbt_valid_from);
    {%- endif %}
    {% if not changes_exist -%}
    -- Append-only: one row per segment transition (and a player's first segment).
    create table {{ changes }} as
    select change_id, user_id, from_segment, segment as to_segment, computed_at as changed_at, as_of
    from {{ transitions }}
    with no data;
    -- the readers' page order, unique: a change written twice fails the publish
    create unique index user_segment_changes_page_idx on {{ changes }} (changed_at, change_id);
    create index user_segment_changes_user_id_idx on {{ changes }} (user_id);
    {%- endif %}

    update {{ history }} as history
    set dbt_valid_to = transitions.computed_at
    from {{ transitions }} as transitions
    where
        history.user_id = transitions.user_id
        and history.dbt_valid_to is null;

    insert into {{ history }} (
        {{ version_columns | join(', ') }}, dbt_scd_id, dbt_updated_at, dbt_valid_from, dbt_valid_to
    )
    select
        {{ version_columns | join(', ') }}, change_id, computed_at, computed_at, null
    from {{ transitions }};

    insert into {{ changes }} (change_id, user_id, from_segment, to_segment, changed_at, as_of)
    select change_id, user_id, from_segment, segment, computed_at, as_of
    from {{ transitions }}
    where from_segment is null or from_segment <> segment;

    {{ postgres__pulse_analyze_new_table(api.Relation.create(
        database=target.database, schema=history_schema, identifier='user_segment_history'
    ), 'dbt_valid_from') }};
    {{ postgres__pulse_analyze_new_table(api.Relation.create(
        database=target.database, schema=published_schema, identifier='user_segment_changes'
    ), 'changed_at') }};
    {% endif %}

    -- last, so the exclusive locks readers wait behind are held only until the commit
    {% for name in ('segment_catalogue', 'user_segment') -%}
    {%- set published = adapter.get_relation(
        database=target.database, schema=published_schema, identifier=name
    ) -%}
    {%- if published is not none -%}
    drop {{ 'view' if published.is_view else 'table' }} {{ published_schema }}.{{ name }};
    {% endif -%}
    alter table {{ candidate_schema }}.{{ name }} set schema {{ published_schema }};
    {% endfor -%}
    -- the commit is the next hook's (pulse_publish_commit)
{%- endmacro %}


{#- The published history (a relation), or none before the first publish or while parsing. -#}
{% macro pulse_published_history() -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(adapter.get_relation(
        database=target.database,
        schema=generate_schema_name('snapshots', none),
        identifier='user_segment_history',
    )) }}
{%- endmacro %}
