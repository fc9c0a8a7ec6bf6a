"""A Spark standalone cluster on loopback, from the pyspark wheel: master, workers, Thrift server.

    pulse spark-cluster test [--workers 2]   # start, run the equality test, stop
    pulse spark-cluster run -- CMD ...        # start, run CMD with the cluster, stop

(`python scripts/spark_cluster.py ...` runs the same command.)

Everything binds to 127.0.0.1 (SPARK_LOCAL_IP). The Thrift server (port 10000) is
what dbt's `method: thrift` connects to; its warehouse and Derby metastore live in a
temporary folder, which CMD sees as PULSE_SPARK_WAREHOUSE_DIR (where the load back
reads the built marts). Processes are started here and stopped here, by their ids.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyspark

from orchestration.lake.spark_env import spark_environment
from pulse.settings import child_environment

SPARK_HOME = Path(pyspark.__file__).parent
MASTER = "spark://127.0.0.1:7077"
THRIFT_PORT = 10000


def wait_for_port(port: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {seconds:.0f} s")


def start_cluster(
    folder: Path, workers: int
) -> tuple[list[subprocess.Popen[bytes]], dict[str, str]]:
    environment = child_environment(
        {
            **spark_environment(folder),
            "SPARK_HOME": str(SPARK_HOME),
            "SPARK_MASTER_HOST": "127.0.0.1",
            "SPARK_LOG_DIR": str(folder / "logs"),
            "SPARK_WORKER_DIR": str(folder / "work"),
        }
    )
    environment["SPARK_CONF_DIR"] = str(folder / "conf")
    conf = folder / "conf" / "spark-defaults.conf"
    conf.write_text(conf.read_text().replace("local[*]", MASTER))
    logs = folder / "logs"
    logs.mkdir(exist_ok=True)
    spark_class = str(SPARK_HOME / "bin" / "spark-class")
    processes: list[subprocess.Popen[bytes]] = []

    def launch(name: str, command: list[str]) -> None:
        log = (logs / f"{name}.log").open("wb")
        processes.append(
            subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT)
        )

    launch(
        "master",
        [spark_class, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
         "--port", "7077", "--webui-port", "8080"],
    )  # fmt: skip
    wait_for_port(7077, 60)
    for number in range(workers):
        launch(
            f"worker-{number}",
            [spark_class, "org.apache.spark.deploy.worker.Worker", MASTER, "--host", "127.0.0.1",
             "--cores", "1", "--memory", "2g", "--webui-port", str(8081 + number)],
        )  # fmt: skip
    launch(
        "thrift",
        [str(SPARK_HOME / "bin" / "spark-submit"), "--master", MASTER,
         "--class", "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2",
         "--hiveconf", "hive.server2.thrift.bind.host=127.0.0.1",
         "--hiveconf", f"hive.server2.thrift.port={THRIFT_PORT}", "spark-internal"],
    )  # fmt: skip
    wait_for_port(THRIFT_PORT, 180)
    client_environment = {
        "PULSE_SPARK_METHOD": "thrift",
        "PULSE_SPARK_HOST": "127.0.0.1",
        "PULSE_SPARK_PORT": str(THRIFT_PORT),
        "PULSE_SPARK_WAREHOUSE_DIR": str(folder / "warehouse"),
    }
    return processes, client_environment


def stop_cluster(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in reversed(processes):
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def main(arguments: list[str]) -> int:
    """`pulse spark-cluster {test|run} ...`."""
    if not arguments or arguments[0] not in ("test", "run"):
        print(__doc__)
        return 2
    workers = 2
    if "--workers" in arguments:
        workers = int(arguments[arguments.index("--workers") + 1])
    if arguments[0] == "test":
        command = [sys.executable, "-m", "pytest", "tests/lake/test_spark_equality.py", "-q"]
    else:
        command = arguments[arguments.index("--") + 1 :]
    folder = Path(tempfile.mkdtemp(prefix="pulse-spark-cluster-"))
    processes: list[subprocess.Popen[bytes]] = []
    try:
        processes, client_environment = start_cluster(folder, workers)
        print(f"cluster up: {workers} workers, Thrift on 127.0.0.1:{THRIFT_PORT}", flush=True)
        return subprocess.run(command, env=child_environment(client_environment)).returncode
    finally:
        stop_cluster(processes)
        shutil.rmtree(folder, ignore_errors=True)
