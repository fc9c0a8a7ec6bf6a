"""`python scripts/run_pulse.py ...` runs `pulse run ...` (the console script).

Migrates, loads demo data once, serves the API and the Dagster UI (orchestration/launch.py).
"""

from pulse.cli import run_script

if __name__ == "__main__":
    run_script("run")
