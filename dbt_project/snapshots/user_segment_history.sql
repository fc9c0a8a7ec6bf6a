{#- The source is the rows the latest run re-evaluated (all rows after a full build):
    the others kept their segment, so comparing them again could only find no change.
    A user missing from the source keeps its open version (hard deletes are ignored). -#}
{% snapshot user_segment_history %}

select *
from {{ ref('user_segment') }}
where evaluated_at = computed_at

{% endsnapshot %}
