"""The Spark warehouse: the Parquet lake export, Spark's dbt environment, the load back."""
