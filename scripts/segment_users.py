"""`python scripts/segment_users.py ...` runs `pulse segment-users ...` (the console script).

Refreshes the segments through Dagster, or previews them with --dry-run
(orchestration/segment_users.py).
"""

from pulse.cli import run_script

if __name__ == "__main__":
    run_script("segment-users")
