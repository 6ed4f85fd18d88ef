#!/usr/bin/env python3
"""intro report on a big store: 100,000 referrals, 300,000 stage changes, 1,000,000 messages.

Usage: report-bench.py INTRO_BINARY [ROUNDS]

Makes the store with `intro init` (so the schema and indexes are intro's own),
fills it with Python's sqlite3 in one transaction, then times `intro report
--json` (a fresh process each round) against `sqlite3` counting the same
referrals in the same run. Prints the median of the rounds and the ratio.
"""
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

REFERRALS = 100_000
CLIENTS = 10_000
MESSAGES = 1_000_000


def stamp(seconds):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def fill(path):
    random.seed(7)
    db = sqlite3.connect(path)
    db.execute("BEGIN")
    now = time.time()
    start = now - 365 * 86400
    db.executemany(
        "INSERT INTO contacts (email, email_normalized, name, is_client, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
        ((f"c{i}@example.org", f"c{i}@example.org", f"Client {i}", 1 if i < CLIENTS else 0, stamp(start), stamp(start))
         for i in range(CLIENTS * 2)))
    stages = ["asked", "promised", "introduced", "meeting", "won"]
    referrals, changes = [], []
    for r in range(1, REFERRALS + 1):
        asked = start + random.random() * 360 * 86400
        reached = random.choices(range(5), weights=[30, 25, 20, 15, 10])[0]
        final = stages[reached] if reached < 4 and random.random() < 0.8 else ("won" if reached == 4 else "lost")
        referrals.append((r, random.randrange(1, CLIENTS + 1), CLIENTS + 1 + r % CLIENTS, final, stamp(asked)))
        moment, previous = asked, None
        for stage in stages[: reached + 1]:
            changes.append((r, previous, stage, stamp(moment)))
            previous, moment = stage, moment + random.random() * 10 * 86400
        if final == "lost":
            changes.append((r, previous, "lost", stamp(moment)))
    db.executemany(
        "INSERT INTO referrals (id, introducer_id, prospect_id, stage, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
        ((r, i, p, s, c, c) for r, i, p, s, c in referrals))
    db.executemany(
        "INSERT INTO referral_stage_changes (referral_id, from_stage, to_stage, changed_at) VALUES (?, ?, ?, ?)",
        changes)
    states = random.choices(["sent", "failed", "deferred", "suppressed"], weights=[90, 4, 4, 2], k=MESSAGES)
    db.executemany(
        "INSERT INTO messages (contact_id, recipient, recipient_key, message_id, template, subject, body, state, "
        "created_at, updated_at, sent_at, purpose) VALUES (?, ?, ?, ?, 'thank-you', 'Thanks', x'00', ?, ?, ?, ?, ?)",
        ((1 + m % CLIENTS, f"c{m % CLIENTS}@example.org", f"c{m % CLIENTS}@example.org", f"m{m}@example.com",
          states[m], stamp(start + m * 30), stamp(start + m * 30), stamp(start + m * 30) if states[m] == "sent" else None,
          "ask" if m % 50 == 0 else None) for m in range(MESSAGES)))
    db.commit()
    db.execute("ANALYZE")
    db.close()
    return len(changes)


def timed(command, env):
    started = time.perf_counter()
    result = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"{command[0]} failed: {result.stderr.decode()[:400]}")
    return elapsed, result.stdout


def main():
    intro = os.path.abspath(sys.argv[1])
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    home = tempfile.mkdtemp(prefix="intro-report-bench-")
    keep = os.environ.get("INTRO_BENCH_KEEP") == "1"
    try:
        env = {"HOME": home, "XDG_CONFIG_HOME": home + "/config", "XDG_DATA_HOME": home + "/data",
               "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        subprocess.run([intro, "init"], env=env, check=True, stdout=subprocess.DEVNULL)
        store = home + "/data/intro/intro.sqlite"
        began = time.time()
        changes = fill(store)
        print(f"store: {REFERRALS:,} referrals, {changes:,} stage changes, {MESSAGES:,} messages "
              f"({os.path.getsize(store) / 1e6:.0f} MB, filled in {time.time() - began:.0f} s)")
        sqlite = shutil.which("sqlite3")
        peer = [sqlite, store, "SELECT count(*), sum(stage = 'won') FROM referrals"] if sqlite else None
        report, baseline = [], []
        for _ in range(rounds):
            seconds, output = timed([intro, "report", "--json"], env)
            report.append(seconds)
            if peer:
                baseline.append(timed(peer, env)[0])
        funnel = json.loads(output)["funnel"]
        print("funnel: " + ", ".join(f"{s['stage']} {s['count']:,}" for s in funnel))
        median = statistics.median(report)
        line = f"intro report --json: median {median * 1000:.0f} ms of {rounds} (target < 1000 ms)"
        if baseline:
            line += f"; sqlite3 counting the referrals: {statistics.median(baseline) * 1000:.0f} ms"
        print(line)
        return 0 if median < 1.0 else 1
    finally:
        if keep:
            print(f"kept {home}")
        else:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
