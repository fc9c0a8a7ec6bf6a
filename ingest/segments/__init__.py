"""Reading the published segments and managing admin overrides.

The segments themselves are computed by dbt (`analytics.user_segment` and friends);
this package reads them for the admin API and writes `app.segment_overrides`,
which the next pipeline run honours.
"""
