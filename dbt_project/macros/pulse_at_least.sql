{#- Generic test: fails on rows where the column is below `minimum`. -#}
{% test pulse_at_least(model, column_name, minimum) %}

select {{ column_name }} as failing_value
from {{ model }}
where {{ column_name }} < {{ minimum }}

{% endtest %}
