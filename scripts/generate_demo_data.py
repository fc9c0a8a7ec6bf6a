"""`python scripts/generate_demo_data.py ...` runs `pulse demo-data ...` (the console script).

Fills Pulse's tables with demo players, events and deposit snapshots (pulse/demo_data.py).
"""

from pulse.cli import run_script

if __name__ == "__main__":
    run_script("demo-data")
