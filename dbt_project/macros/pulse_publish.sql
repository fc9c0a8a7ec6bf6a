{#- The publish gate, the project's on-run-end hook (dbt_project.yml).

    A run builds user_segment_updates (the players whose published row moves) and
    segment_catalogue into analytics_candidate, which no reader reads, and tests them
    there. Only when every node and test of the run passed does this hook publish, in
    ONE transaction: the updates whose (segment, rule) moved (the transitions) are
    appended to the history and, where the segment moved, to the change feed, the
    updates are written into the published rows (analytics.user_segment_members), the
    publication (analytics.segment_publication: the run's as_of and computed_at) is
    replaced, and the candidate catalogue replaces the published one by `alter table ...
    set schema`. Readers read analytics.user_segment, a view of the rows with the
    publication's as_of and computed_at: they see the old state or the new one, never a
    mix, and wait only for the catalogue's rename, which comes last so its exclusive
    lock is held for an instant. Any failed, errored or skipped node publishes nothing,
    and the log says which.

    Runs that did not build user_segment_updates (`dbt test`, a partial selection, the
    dry run's `+user_segment`) publish nothing and say nothing.

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
    is not one that publishes (not PostgreSQL, a dry run, or no updates built). -#}
{% macro pulse_not_passed(results) -%}
    {%- if not execute or target.type != 'postgres' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if var('pulse__schema_prefix', '').startswith('dryrun_') -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set built = results | selectattr('node.resource_type', 'equalto', 'model')
        | selectattr('node.name', 'equalto', 'user_segment_updates') | list -%}
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
    {%- set updates = candidate_schema ~ '.user_segment_updates' -%}
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
    {%- set computed_at = pulse_run_started_at() -%}
    -- pulse publish gate (first, so the statement shows in pg_stat_activity's truncated text)
    begin;
    create schema if not exists {{ published_schema }};
    create schema if not exists {{ history_schema }};
    {% if not replay %}
    {#- the version's id and its change's: one per player and run -#}
    {%- set change_id = dbt.hash(dbt.concat([
        dbt.cast('updates.user_id', dbt.type_string()), "'|'",
        dbt.cast(computed_at, dbt.type_string()),
    ])) -%}
    {#- a version's columns from a row of the updates; as_of and computed_at are the run's -#}
    {%- set run_values = {'as_of': pulse_as_of(), 'computed_at': computed_at} -%}
    {%- set version_select -%}
    select
        {% for column in version_columns -%}
        {{ run_values.get(column, 'updates.' ~ column) }} as {{ column }},
        {% endfor -%}
        {{ change_id }} as change_id
    {%- endset %}
    {% if history_exists -%}
    -- The run's transitions: the updated players whose (segment, rule) differs from
    -- their open version in the history, or who have none (a removed player's history
    -- keeps its last version). Kept for this transaction only.
    create temporary table pulse_transitions on commit drop as
    {{ version_select }},
        open_versions.segment as from_segment
    from {{ updates }} as updates
    left join {{ history }} as open_versions
        on
            updates.user_id = open_versions.user_id
            and open_versions.dbt_valid_to is null
    where
        not updates.is_removed
        and (
            open_versions.user_id is null
            or updates.segment <> open_versions.segment
            or updates.rule <> open_versions.rule
        );

    update {{ history }} as history
    set dbt_valid_to = transitions.computed_at
    from pulse_transitions as transitions
    where
        history.user_id = transitions.user_id
        and history.dbt_valid_to is null;

    insert into {{ history }} (
        {{ version_columns | join(', ') }}, dbt_scd_id, dbt_updated_at, dbt_valid_from, dbt_valid_to
    )
    select
        {{ version_columns | join(', ') }}, change_id, computed_at, computed_at, null
    from pulse_transitions;
    {%- else -%}
    -- No history yet: every published player's first version. One row per player and
    -- version of (segment, rule); dbt_valid_to null = current. The column names are
    -- those of the dbt snapshot that kept the history before. A new table is written
    -- whole, then indexed: faster than filling its indexes row by row.
    create table {{ history }} as
    select
        {{ version_columns | join(', ') }},
        change_id as dbt_scd_id,
        computed_at as dbt_updated_at,
        computed_at as dbt_valid_from,
        cast(null as timestamp with time zone) as dbt_valid_to
    from ({{ version_select }}
        from {{ updates }} as updates
        where not updates.is_removed
    ) as first_versions;
    -- one player's periods (the admin API), the open version of each player (closed by
    -- the next transition; a second one is refused), the versions a run opened
    create index user_segment_history_user_id_idx on {{ history }} (user_id, dbt_valid_from);
    create unique index user_segment_history_open_version_idx on {{ history }} (user_id)
        where dbt_valid_to is null;
    create index user_segment_history_valid_from_idx on {{ history }} (dbt_valid_from);
    {%- endif %}

    {#- the transitions, or with a new history its rows: every player's first version -#}
    {%- set transitions = 'pulse_transitions' if history_exists else (
        '(select dbt_scd_id as change_id, user_id, cast(null as text) as from_segment, segment,'
        ~ ' computed_at, as_of from ' ~ history ~ ') as first_versions'
    ) %}
    {% if changes_exist -%}
    insert into {{ changes }} (change_id, user_id, from_segment, to_segment, changed_at, as_of)
    select change_id, user_id, from_segment, segment, computed_at, as_of
    from {{ transitions }}
    where from_segment is null or from_segment <> segment;
    {%- else -%}
    -- Append-only: one row per segment transition (and a player's first segment).
    create table {{ changes }} as
    select change_id, user_id, from_segment, segment as to_segment, computed_at as changed_at, as_of
    from {{ transitions }}
    where from_segment is null or from_segment <> segment;
    -- the readers' page order, unique: a change written twice fails the publish
    create unique index user_segment_changes_page_idx on {{ changes }} (changed_at, change_id);
    create index user_segment_changes_user_id_idx on {{ changes }} (user_id);
    {%- endif %}

    {{ postgres__pulse_analyze_new_table(api.Relation.create(
        database=target.database, schema=history_schema, identifier='user_segment_history'
    ), 'dbt_valid_from') }};
    {{ postgres__pulse_analyze_new_table(api.Relation.create(
        database=target.database, schema=published_schema, identifier='user_segment_changes'
    ), 'changed_at') }};
    {% endif %}

    {{ pulse_publish_members_sql(candidate_schema, published_schema, replay) }}

    -- last, so the exclusive lock readers of the catalogue wait behind is held only
    -- until the commit
    {%- set published_catalogue = adapter.get_relation(
        database=target.database, schema=published_schema, identifier='segment_catalogue'
    ) %}
    {% if published_catalogue is not none -%}
    drop {{ 'view' if published_catalogue.is_view else 'table' }} {{ published_catalogue }};
    {% endif -%}
    alter table {{ candidate_schema }}.segment_catalogue set schema {{ published_schema }};
    -- the commit is the next hook's (pulse_publish_commit)
{%- endmacro %}


{#- The published rows: one per player, the columns of user_segment but the run's as_of
    and computed_at, which the publication holds (they move every run; the rows move
    only where a player's segment, rule, matched entries, features or override did).
    Written from the run's user_segment_updates; readers read them through the view
    analytics.user_segment. Created on the first publish, and again when the
    columns of user_segment changed (user_segment_updates then holds every player). -#}
{% macro pulse_publish_members_sql(candidate_schema, published_schema, replay) -%}
    {%- set updates = candidate_schema ~ '.user_segment_updates' -%}
    {%- set members = published_schema ~ '.user_segment_members' -%}
    {%- set publication = published_schema ~ '.segment_publication' -%}
    {%- set columns = pulse_member_columns() -%}
    {%- set profile_columns = columns[4:-2] -%}
    {%- set members_relation = adapter.get_relation(
        database=target.database, schema=published_schema, identifier='user_segment_members'
    ) -%}
    {%- set members_current = pulse_members_are_current(members_relation) -%}
    {%- set view_relation = adapter.get_relation(
        database=target.database, schema=published_schema, identifier='user_segment'
    ) -%}
    {%- set publication_exists = adapter.get_relation(
        database=target.database, schema=published_schema, identifier='segment_publication'
    ) is not none -%}
    {% if members_current -%}
    delete from {{ members }}
    where user_id in (select user_id from {{ updates }} where is_removed);

    insert into {{ members }} as published ({{ columns | join(', ') }})
    select {{ columns | join(', ') }}
    from {{ updates }}
    where not is_removed
    on conflict (user_id) do update set
        {% for column in columns[1:] -%}
        {{ column }} = excluded.{{ column }}{{ ',' if not loop.last }}
        {% endfor -%}
    -- a row already equal is not written again
    where (
        {%- for column in columns[1:] -%}
        published.{{ column }}{{ ', ' if not loop.last }}
        {%- endfor -%}
    ) is distinct from (
        {%- for column in columns[1:] -%}
        excluded.{{ column }}{{ ', ' if not loop.last }}
        {%- endfor -%}
    );
    {%- else -%}
    {% if members_relation is not none -%}
    -- the columns changed: the view goes with the old rows, and both are made anew
    drop table {{ members }} cascade;
    {% endif -%}
    -- every player is an update here (and none is removed): the updates, analyzed and
    -- indexed by the model for the admin API's lookups by player and pages through a
    -- segment, become the published rows, without is_removed (dropping a column changes
    -- the catalogue, not the rows)
    alter table {{ updates }} set schema {{ published_schema }};
    alter table {{ published_schema }}.user_segment_updates rename to user_segment_members;
    alter table {{ members }} drop column is_removed;
    {%- endif %}
    {% if not publication_exists -%}
    -- one row: the published run
    create table {{ publication }} (
        as_of timestamp with time zone not null,
        computed_at timestamp with time zone not null,
        published_at timestamp with time zone not null,
        replay boolean not null
    );
    {%- endif %}

    delete from {{ publication }};
    insert into {{ publication }} (as_of, computed_at, published_at, replay)
    select as_of, computed_at, now(), {{ 'true' if replay else 'false' }}
    from {{ candidate_schema }}.segment_catalogue
    where is_fallback;

    {% if not members_current or view_relation is none or not view_relation.is_view -%}
    {% if view_relation is not none and not view_relation.is_view -%}
    -- published by an earlier release of the gate as a table
    drop table {{ view_relation }};
    {% endif -%}
    create view {{ published_schema }}.user_segment as
    select
        members.user_id,
        members.segment,
        members.rule,
        members.matched_segments,
        publication.as_of,
        publication.computed_at,
        {% for column in profile_columns -%}
        members.{{ column }},
        {% endfor -%}
        members.override_reason,
        members.override_expires_at
    from {{ members }} as members
    cross join {{ publication }} as publication;
    {%- endif %}
{%- endmacro %}


{#- The columns of the published rows, in order (user_segment's without as_of and
    computed_at). -#}
{% macro pulse_member_columns() -%}
    {%- set profile_columns = pulse_segment_profile_columns() | map(attribute=0)
        | reject('equalto', 'user_id') | list -%}
    {{ return(['user_id', 'segment', 'rule', 'matched_segments'] + profile_columns
        + ['override_reason', 'override_expires_at']) }}
{%- endmacro %}


{#- A relation's column names, lower case, in order. -#}
{% macro pulse_relation_columns(relation) -%}
    {{ return(adapter.get_columns_in_relation(relation) | map(attribute='name')
        | map('lower') | list) }}
{%- endmacro %}


{#- The published rows (a relation) that this run's updates are computed against, or
    none when every player is an update: before the first publish, when their columns are
    not this release's, on Spark, and while parsing. -#}
{% macro pulse_published_members() -%}
    {%- if not execute or target.type != 'postgres' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set members = adapter.get_relation(
        database=target.database, schema=generate_schema_name('analytics', none),
        identifier='user_segment_members'
    ) -%}
    {{ return(members if pulse_members_are_current(members) else none) }}
{%- endmacro %}


{#- Whether the published rows (a relation, or none) have this release's columns: the
    one test of the model (which compares with them) and of the publish (which writes
    into them, or makes them anew). -#}
{% macro pulse_members_are_current(members) -%}
    {{ return(members is not none
        and pulse_relation_columns(members) == pulse_member_columns()) }}
{%- endmacro %}


{#- Whether what is published is a replay's, whose rows the history does not hold: every
    player must then be an update, compared with the history again. -#}
{% macro pulse_published_replay(members) -%}
    {%- set publication = adapter.get_relation(
        database=members.database, schema=members.schema, identifier='segment_publication'
    ) -%}
    {%- if publication is none -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set rows = run_query('select replay from ' ~ publication).rows -%}
    {{ return(rows | length != 1 or rows[0][0]) }}
{%- endmacro %}
