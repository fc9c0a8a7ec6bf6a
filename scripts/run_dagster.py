"""`python scripts/run_dagster.py ...` runs `pulse dagster ...` (the console script).

Starts Dagster's webserver or daemon with the instance prepared (orchestration/launch.py).
"""

from pulse.cli import run_script

if __name__ == "__main__":
    run_script("dagster")
