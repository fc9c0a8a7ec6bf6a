"""`python scripts/run_dbt.py ...` runs `pulse dbt ...` (the console script).

Runs dbt against Pulse's database, e.g. `python scripts/run_dbt.py build` (pulse/dbt_env.py).
"""

from pulse.cli import run_script

if __name__ == "__main__":
    run_script("dbt")
