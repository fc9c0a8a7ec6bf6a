"""`python scripts/spark_cluster.py ...` runs `pulse spark-cluster ...` (the console script).

A Spark cluster on loopback for the equality test or a command
(orchestration/lake/spark_cluster.py).
"""

from pulse.cli import run_script

if __name__ == "__main__":
    run_script("spark-cluster")
