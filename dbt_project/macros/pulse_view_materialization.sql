{#- Views on PostgreSQL are replaced only when their definition changed. dbt's view
    materialization rebuilds every view on every run (create a new one, rename the
    old one away, rename, drop): seven views per refresh, each an exclusive lock
    readers of the view queue behind (user_segment is the admin API's) and a dozen
    catalog rows left dead. A view replaced by this materialization carries the hash of
    its compiled SQL and grants as its comment; a run whose hash matches leaves the
    view alone. A view dropped meanwhile (a table it reads was rebuilt, which drops
    its dependent views) has no comment and is built again, and `--full-refresh`
    rebuilds every view. Views with hooks, or whose documentation is persisted as
    their comment, are rebuilt by dbt's materialization on every run. -#}
{% materialization view, adapter='postgres' -%}
    {%- set target_relation = this.incorporate(type='view') -%}
    {%- if config.persist_relation_docs() or pre_hooks or post_hooks -%}
        {{ return(materialization_view_default()) }}
    {%- endif -%}
    {%- set definition = 'pulse view definition '
        ~ local_md5(sql ~ tojson(config.get('grants'))) -%}

    {%- if not should_full_refresh() and pulse_relation_comment(target_relation) == definition -%}
        {%- call noop_statement('main', 'UNCHANGED') -%}
            -- {{ target_relation }} already has this definition
        {%- endcall -%}
        {{ return({'relations': [target_relation]}) }}
    {%- endif -%}

    {%- set relations = materialization_view_default() -%}
    {%- call statement('pulse_view_definition') -%}
        comment on view {{ target_relation }} is '{{ definition }}'
    {%- endcall -%}
    {{ adapter.commit() }}
    {{ return(relations) }}
{%- endmaterialization %}


{#- The comment of a view (none when the view does not exist), read from the catalog
    rather than dbt's relation cache: a view dropped by a cascade earlier in the run
    must not count as present. -#}
{% macro pulse_relation_comment(relation) -%}
    {%- set query -%}
        select obj_description(views.oid, 'pg_class')
        from pg_class as views
        inner join pg_namespace as schemas on views.relnamespace = schemas.oid
        where
            schemas.nspname = '{{ relation.schema }}'
            and views.relname = '{{ relation.identifier }}'
            and views.relkind = 'v'
    {%- endset -%}
    {%- set result = run_query(query) -%}
    {{ return(result.rows[0][0] if result.rows | length > 0 else none) }}
{%- endmacro %}
