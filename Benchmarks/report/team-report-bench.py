#!/usr/bin/env python3
"""intro report on a big team store: the same 100,000 referrals and 1,000,000
messages in PostgreSQL, against the same report on the SQLite file, in one run.

Usage: team-report-bench.py INTRO_BINARY [ROUNDS]

Fills a SQLite store as report-bench.py does, starts a throwaway PostgreSQL
cluster on 127.0.0.1 (Debian's `postgresql`; as the `postgres` user when run
as root), moves the rows there with `intro store copy --to URL` (timed), runs
VACUUM ANALYZE (what autovacuum does after a bulk load), then times `intro
report --json` on the file and on the team store alternately, each a fresh
process, and checks the two reports are the same. Prints the medians and the
ratio; stops the cluster.
"""
import importlib.util
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("report_bench", os.path.join(HERE, "report-bench.py"))
report_bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(report_bench)


def pg_binaries():
    root = "/usr/lib/postgresql"
    versions = sorted((v for v in os.listdir(root) if v.isdigit()), key=int) if os.path.isdir(root) else []
    if not versions:
        sys.exit("no PostgreSQL server under /usr/lib/postgresql (apt-get install postgresql)")
    return f"{root}/{versions[-1]}/bin"


def as_server_user(command):
    return ["runuser", "-u", "postgres", "--"] + command if os.getuid() == 0 else command


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def comparable(output):
    report = json.loads(output)
    for key in ("generatedAt", "store"):
        report.pop(key, None)
    return report


def main():
    intro = os.path.abspath(sys.argv[1])
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    home = tempfile.mkdtemp(prefix="intro-team-report-bench-")
    cluster = tempfile.mkdtemp(prefix="intro-team-report-pg-")
    binaries = pg_binaries()
    port = free_port()
    started = False
    try:
        if os.getuid() == 0:
            shutil.chown(cluster, "postgres")
        data = cluster + "/data"
        subprocess.run(as_server_user([f"{binaries}/initdb", "-D", data, "-U", "intro", "--auth=trust", "-E",
                                       "UTF8", "--locale=C", "--no-sync"]), check=True, stdout=subprocess.DEVNULL)
        subprocess.run(as_server_user([f"{binaries}/pg_ctl", "-D", data, "-l", cluster + "/log", "-w", "-o",
                                       f"-p {port} -k {cluster} -c listen_addresses=127.0.0.1", "start"]),
                       check=True, stdout=subprocess.DEVNULL)
        started = True
        psql = as_server_user([f"{binaries}/psql", "-X", "-q", "-h", cluster, "-p", str(port), "-U", "intro"])
        subprocess.run(psql + ["-d", "postgres", "-c", "CREATE DATABASE bench"], check=True)
        env = {"HOME": home, "XDG_CONFIG_HOME": home + "/config", "XDG_DATA_HOME": home + "/data",
               "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        subprocess.run([intro, "init"], env=env, check=True, stdout=subprocess.DEVNULL)
        store = home + "/data/intro/intro.sqlite"
        changes = report_bench.fill(store)
        url = f"postgresql://intro@127.0.0.1:{port}/bench?sslmode=disable"
        began = time.perf_counter()
        copy = subprocess.run([intro, "store", "copy", "--to", url], env=env, capture_output=True, text=True)
        if copy.returncode != 0:
            sys.exit(f"store copy failed: {copy.stderr[:400]}")
        copied = time.perf_counter() - began
        rows = report_bench.REFERRALS + changes + report_bench.MESSAGES + 2 * report_bench.CLIENTS
        print(f"store copy --to PostgreSQL: {rows:,} rows in {copied:.1f} s ({rows / copied:,.0f} rows/s)")
        subprocess.run(psql + ["-d", "bench", "-c", "VACUUM ANALYZE"], check=True)
        team = home + "/team.toml"
        with open(team, "w") as f:
            f.write(f'[store]\nurl = "{url}"\n')
        os.chmod(team, 0o600)
        on_file, on_team = [], []
        for _ in range(rounds):
            seconds, file_output = report_bench.timed([intro, "report", "--json"], env)
            on_file.append(seconds)
            seconds, team_output = report_bench.timed([intro, "report", "--json", "--config", team], env)
            on_team.append(seconds)
        same = comparable(file_output) == comparable(team_output)
        print(f"same report on both: {same}")
        file_median, team_median = statistics.median(on_file), statistics.median(on_team)
        print(f"intro report --json: SQLite file median {file_median * 1000:.0f} ms, PostgreSQL median "
              f"{team_median * 1000:.0f} ms of {rounds} ({team_median / file_median:.2f}x the file)")
        return 0 if same else 1
    finally:
        if started:
            subprocess.run(as_server_user([f"{binaries}/pg_ctl", "-D", cluster + "/data", "-m", "fast", "-w",
                                           "stop"]), stdout=subprocess.DEVNULL, check=False)
        shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(cluster, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
