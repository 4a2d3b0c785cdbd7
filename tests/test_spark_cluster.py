"""A real standalone Spark cluster on 127.0.0.1 — a master and two workers started with PySpark's own
`bin/spark-class` — runs the parity subset (every catalogue KPI, street-wide, one quarter) and the quarter-end
batch `python -m briefing --engine spark --master spark://… --all-communities`."""

from __future__ import annotations

import os
import pickle
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, java_missing

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(path: Path, text: str, proc: subprocess.Popen, timeout: float = 90) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if path.exists() and text in path.read_text(encoding="utf-8", errors="replace"):
            return
        if proc.poll() is not None:
            break
        time.sleep(0.3)
    raise AssertionError(f"{text!r} not in {path} ({'exited' if proc.poll() is not None else 'timeout'}):\n"
                         + (path.read_text(encoding="utf-8", errors="replace")[-3000:] if path.exists() else ""))


PARITY_SCRIPT = """
import pickle, sys
import engines
from tests import engine_parity as P
con = engines.connect("spark", lake=sys.argv[1], master=sys.argv[2])
res = P.run_all(con, P.SCOPES[:1], threads=4, series_scopes=set())  # every catalogue KPI, street, one quarter
with open(sys.argv[3], "wb") as f:
    pickle.dump(res, f)
"""


def test_standalone_cluster_parity_and_quarter_end_batch(demo_db, demo_lake, tmp_path):
    if java_missing():
        pytest.skip("java not found: Spark needs a Java runtime (.ci/run installs openjdk-17-jre-headless)")
    import pyspark

    spark_home = Path(pyspark.__file__).parent
    spark_class = spark_home / "bin" / "spark-class"
    env = {**os.environ, "SPARK_HOME": str(spark_home), "SPARK_LOCAL_IP": "127.0.0.1",
           "SPARK_LOG_DIR": str(tmp_path / "logs"), "SPARK_WORKER_DIR": str(tmp_path / "work"),
           "PYTHONPATH": str(ROOT), "PYSPARK_PYTHON": sys.executable}
    port = _free_port()
    master_url = f"spark://127.0.0.1:{port}"
    procs: list[subprocess.Popen] = []
    logs = []

    def start(name: str, *args: str) -> tuple[subprocess.Popen, Path]:
        log = tmp_path / f"{name}.log"
        f = open(log, "w")  # noqa: SIM115 - closed below
        logs.append(f)
        p = subprocess.Popen(["bash", str(spark_class), *args], env=env, stdout=f, stderr=subprocess.STDOUT,
                             start_new_session=True)
        procs.append(p)
        return p, log

    try:
        master, mlog = start("master", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                             "--port", str(port), "--webui-port", str(_free_port()))
        _wait_for(mlog, "I have been elected leader", master)
        for i in (1, 2):
            w, wlog = start(f"worker{i}", "org.apache.spark.deploy.worker.Worker", master_url, "--host", "127.0.0.1",
                            "--cores", "1", "--memory", "1g", "--webui-port", str(_free_port()),
                            "--work-dir", str(tmp_path / f"work{i}"))
            _wait_for(wlog, "Successfully registered with master", w)

        # the parity subset, computed on the cluster, equals the warehouse's figures
        out = tmp_path / "cluster.pickle"
        t0 = time.perf_counter()
        run = subprocess.run([sys.executable, "-c", PARITY_SCRIPT, str(demo_lake), master_url, str(out)], env=env,
                             cwd=ROOT, capture_output=True, text=True, timeout=240)
        assert run.returncode == 0, run.stderr[-3000:]
        parity_s = time.perf_counter() - t0
        got = pickle.loads(out.read_bytes())

        import engines
        from tests import engine_parity as P

        con = engines.connect("duckdb", db=demo_db)
        try:
            want = P.run_all(con, P.SCOPES[:1], series_scopes=set())
        finally:
            con.close()
        assert len(got) == len(want) >= 4
        assert P.compare_results(want, got, "spark cluster") == []
        assert "app-" in " ".join(p.name for p in (tmp_path / "work1").iterdir())  # the job ran on the workers

        # the quarter-end batch on the cluster: the street and every community
        briefings = tmp_path / "briefings"
        t0 = time.perf_counter()
        run = subprocess.run([sys.executable, "-m", "briefing", "--quarter", "2024Q1", "--all-communities",
                              "--engine", "spark", "--master", master_url, "--lake", str(demo_lake),
                              "--out", str(briefings), "--formats", "xlsx", "--jobs", "4"],
                             env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
        batch_s = time.perf_counter() - t0
        assert run.returncode == 0, run.stderr[-3000:]
        names = sorted(p.name for p in briefings.iterdir())
        import duckdb

        wh = duckdb.connect(str(demo_db), read_only=True)
        communities, street = wh.execute("SELECT list(name ORDER BY name), any_value(street) FROM communities"
                                         ).fetchone()
        wh.close()
        assert names == sorted(f"季度简报_{c}_2024Q1_演示数据.xlsx" for c in [street, *communities])
        assert f"共 {len(communities) + 1} 份简报" in run.stdout
        print(f"cluster parity subset {parity_s:.1f} s, --all-communities batch {batch_s:.1f} s")
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        for f in logs:
            f.close()
