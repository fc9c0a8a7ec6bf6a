"""Stand-ins for dbt's cross-database macros, so sqlfluff's jinja templater renders models.

sqlfluff lints the SQL shape only; these return PostgreSQL-like SQL of the same form.
"""


def dateadd(datepart, interval, from_date_or_timestamp):
    return f"{from_date_or_timestamp} + ((interval '1 {datepart}') * ({interval}))"


def type_bigint():
    return "bigint"


def type_numeric():
    return "numeric(28, 6)"


def type_int():
    return "integer"


def current_timestamp():
    return "now()"


def type_string():
    return "text"


def split_part(string_text, delimiter_text, part_number):
    return f"split_part({string_text}, {delimiter_text}, {part_number})"


def cast(field, type):
    return f"cast({field} as {type})"


def concat(fields):
    return f"concat({', '.join(fields)})"


def hash(field):
    return f"md5(cast({field} as text))"
