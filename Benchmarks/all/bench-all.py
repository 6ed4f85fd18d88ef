#!/usr/bin/env python3
"""make bench-all: every performance target of intro in one run, one table of ratios.

Usage: bench-all.py [--rounds N] [--messages N] [--shared DIR]

Each peer is measured in the same run as intro, in interleaved rounds (intro,
then each peer, then intro again ...), and the median of the rounds is
compared. Seconds differ between days on this virtual machine by +-20%; the
ratios are what is reported.

  render      intro's engine vs swift-mustache 2.1.1 on the shared sales-blurb
              contexts (needs ../shared/bench/template; skipped without it)
  send        10,000 personalised messages from a CSV, end to end (start-up,
              render, compose, store, journal, delivery), parallel 1 and 4, vs
              smtp-source -d -s 1, Python smtplib over one connection with the
              messages rendered beforehand, and the mailmerge CLI (PyPI). Every
              run gets its own Postfix smtp-sink, which counts the messages it
              accepted: a run that delivered fewer than all fails the benchmark.
  memory      peak RSS of a 100,000-recipient dry run and send
  reminders   intro due / intro remind on 100,000 referrals and 1,000,000 messages
  fresh       intro render, intro blurb, intro log --limit 20 and intro contact
              list as fresh processes vs an empty statically linked Swift
              program, /bin/true and sqlite3 running the same query
"""
import argparse
import csv
import importlib.util
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
INTRO = os.path.join(ROOT, ".build/release/intro")
FLOOR = os.path.join(ROOT, "Benchmarks/.build/release/send-floor")
TEMPLATE_BENCH = os.path.join(ROOT, "Benchmarks/.build/release/template-bench")
SINK = "/usr/sbin/smtp-sink"
SOURCE = "/usr/sbin/smtp-source"

rows = []


def row(what, intro, peer, ratio, target, holds, detail=""):
    rows.append((what, intro, peer, ratio, target, holds, detail))
    mark = "" if holds is None else ("ok" if holds else "MISSED")
    print(f"  {what}: {intro} | {peer} | {ratio} | {target} {mark} {detail}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sink:
    """One Postfix smtp-sink on a fresh port, counting the messages it accepts."""

    def __init__(self, work):
        self.port = free_port()
        self.out = open(os.path.join(work, f"sink-{self.port}.out"), "w+b")
        user = ["-u", "nobody"] if os.getuid() == 0 else []
        self.process = subprocess.Popen([SINK, *user, "-c", f"127.0.0.1:{self.port}", "256"], stdout=self.out,
                                        stderr=subprocess.STDOUT)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise SystemExit("smtp-sink did not start")

    def stop(self):
        """Stops the sink; returns how many messages it accepted (less the readiness probe's none)."""
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(10)
        self.out.seek(0)
        counters = self.out.read().decode(errors="replace").replace("\r", "\n").split()
        self.out.close()
        counts = [int(c.split("=")[1]) for c in counters if c.startswith("mesg=")]
        return counts[-1] if counts else 0


def timed(command, env=None, stdout=subprocess.DEVNULL, cwd=None):
    """Seconds a command took; fails the benchmark if the command fails."""
    started = time.perf_counter()
    result = subprocess.run(command, env=env, stdout=stdout, stderr=subprocess.PIPE, cwd=cwd)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command[:3])} failed ({result.returncode}): {result.stderr.decode()[:600]}")
    return elapsed


def peak_rss(command, env):
    """Seconds and peak RSS in MB of a command, measured by /usr/bin/time: a
    child forked from this process would report this process's own peak
    (Linux keeps the high-water mark across exec)."""
    started = time.perf_counter()
    result = subprocess.run(["/usr/bin/time", "-f", "maxrss-kb %M", *command], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command[:3])} failed ({result.returncode}): {result.stderr[-600:]}")
    kilobytes = int(result.stderr.strip().splitlines()[-1].split()[1])
    return elapsed, kilobytes / 1024


def median(values):
    return statistics.median(values)


def fmt_s(seconds):
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.3f} s"


# --- render -----------------------------------------------------------------

def bench_render(work, shared, rounds):
    generator = os.path.join(shared, "bench/template/gen_contexts.py")
    if not os.path.exists(generator):
        row("render 20,000 blurbs", "skipped", "swift-mustache", "", ">= 30x", None, f"({generator} not found)")
        return
    data = os.path.join(work, "blurbs")
    subprocess.run([sys.executable, generator, "--out", data, "--n", "20000"], check=True, stdout=subprocess.DEVNULL)
    seconds = {"intro": [], "swift-mustache": []}
    outputs = {}
    for _ in range(rounds):
        for engine in seconds:
            out = os.path.join(work, f"render-{engine}.out")
            result = subprocess.run([TEMPLATE_BENCH, "--dir", data, "--engine", engine, "--out", out, "--repeats", "1"],
                                    check=True, stdout=subprocess.PIPE)
            seconds[engine].append(json.loads(result.stdout)["seconds"])
            with open(out, "rb") as f:
                outputs[engine] = f.read()
    if outputs["intro"] != outputs["swift-mustache"]:
        raise SystemExit("render: the two engines' outputs differ")
    i, s = median(seconds["intro"]), median(seconds["swift-mustache"])
    row("render 20,000 blurbs (in process)", fmt_s(i), f"swift-mustache {fmt_s(s)}", f"{s / i:.1f}x", ">= 30x",
        s / i >= 30)


# --- send -------------------------------------------------------------------

REP = {"name": "Dana Rep", "email": "dana@example.com", "title": "Account Executive", "company": "Acme Analytics",
       "phone": "+1 555 0100"}


def write_config(path, port, parallel, store):
    with open(path, "w") as f:
        f.write("[rep]\n" + "".join(f'{k} = "{v}"\n' for k, v in REP.items()))
        if port:
            f.write(f'[smtp]\nurl = "smtp://127.0.0.1:{port}"\ntls = "none"\nparallel = {parallel}\n')
        f.write(f'[store]\npath = "{store}"\n')
    os.chmod(path, 0o600)


def recipients_csv(path, count):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["email", "name", "company"])
        for i in range(count):
            w.writerow([f"client{i}@example.org", f"Client Number{i}", f"Company {i} & Sons"])


def intro_send(work, csv_path, parallel, count, env):
    sink = Sink(work)
    store = os.path.join(work, f"store-p{parallel}")
    shutil.rmtree(store, ignore_errors=True)
    config = os.path.join(work, f"send-p{parallel}.toml")
    write_config(config, sink.port, parallel, store + "/intro.sqlite")
    report = os.path.join(work, "send.json")
    with open(report, "wb") as out:
        seconds = timed([INTRO, "send", "thank-you-business", "--csv", csv_path, "--config", config, "--send",
                            "--no-limit", "--json"], env=env, stdout=out)
    accepted = sink.stop()
    with open(report) as f:
        result = json.load(f)
    if accepted != count or result["sent"] != count:
        raise SystemExit(f"intro send (parallel {parallel}): the sink accepted {accepted}, intro said {result['sent']}")
    return seconds, result["elapsedSeconds"]


def prerendered(work, csv_path, count, env):
    """intro's own rendering of the batch, as .eml files (the outbox), for the peers that send ready messages."""
    config = os.path.join(work, "outbox.toml")
    store = os.path.join(work, "store-outbox")
    write_config(config, None, 1, store + "/intro.sqlite")
    subprocess.run([INTRO, "send", "thank-you-business", "--csv", csv_path, "--config", config, "--send",
                    "--no-limit", "--json"], env=env, check=True, stdout=subprocess.DEVNULL)
    outbox = os.path.join(store, "outbox")
    files = sorted(os.listdir(outbox))
    if len(files) != count:
        raise SystemExit(f"the outbox holds {len(files)} messages, not {count}")
    messages = []
    for name in files:
        with open(os.path.join(outbox, name), "rb") as f:
            messages.append(f.read())
    return messages


SMTPLIB_CLIENT = r"""
import smtplib, sys, pickle
port, path = int(sys.argv[1]), sys.argv[2]
with open(path, "rb") as f:
    messages = pickle.load(f)
with smtplib.SMTP("127.0.0.1", port) as smtp:
    for recipient, data in messages:
        smtp.sendmail("dana@example.com", [recipient], data)
"""


def smtplib_send(work, messages_path, count):
    sink = Sink(work)
    seconds = timed([sys.executable, "-c", SMTPLIB_CLIENT, str(sink.port), messages_path])
    accepted = sink.stop()
    if accepted != count:
        raise SystemExit(f"smtplib: the sink accepted {accepted} of {count}")
    return seconds


def source_send(work, count, size):
    sink = Sink(work)
    seconds = timed([SOURCE, "-d", "-s", "1", "-m", str(count), "-l", str(size), f"127.0.0.1:{sink.port}"])
    accepted = sink.stop()
    if accepted != count:
        raise SystemExit(f"smtp-source: the sink accepted {accepted} of {count}")
    return seconds


MAILMERGE_TEMPLATE = """TO: {{email}}
FROM: Dana Rep <dana@example.com>
SUBJECT: Thank you for your business, {{name}}

Hi {{name}},

Thank you for choosing Acme Analytics at {{company}}. If a colleague of yours
is facing the same problems, I would be glad to help them too.

Dana Rep
Account Executive, Acme Analytics
+1 555 0100
"""


def mailmerge_send(work, csv_path, count):
    mailmerge = shutil.which("mailmerge")
    sink = Sink(work)
    folder = os.path.join(work, "mailmerge")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "template.txt"), "w") as f:
        f.write(MAILMERGE_TEMPLATE)
    with open(os.path.join(folder, "server.conf"), "w") as f:
        f.write(f"[smtp_server]\nhost = 127.0.0.1\nport = {sink.port}\n")
    seconds = timed([mailmerge, "--no-dry-run", "--no-limit", "--template", "template.txt", "--database",
                        csv_path, "--config", "server.conf", "--output-format", "raw"], cwd=folder)
    accepted = sink.stop()
    if accepted != count:
        raise SystemExit(f"mailmerge: the sink accepted {accepted} of {count}")
    return seconds


def bench_send(work, rounds, count, env):
    csv_path = os.path.join(work, "recipients.csv")
    recipients_csv(csv_path, count)
    messages = prerendered(work, csv_path, count, env)
    import pickle
    messages_path = os.path.join(work, "messages.pickle")
    with open(messages_path, "wb") as f:
        pickle.dump([(f"client{i}@example.org", m) for i, m in enumerate(messages)], f)
    size = len(messages[0])
    have_mailmerge = shutil.which("mailmerge") is not None
    t = {k: [] for k in ["p4", "p4-delivery", "p1", "p1-delivery", "source", "smtplib", "mailmerge"]}
    for r in range(rounds):
        for parallel in (4, 1):
            seconds, delivery = intro_send(work, csv_path, parallel, count, env)
            t[f"p{parallel}"].append(seconds)
            t[f"p{parallel}-delivery"].append(delivery)
            if parallel == 4:
                t["source"].append(source_send(work, count, size))
        t["smtplib"].append(smtplib_send(work, messages_path, count))
        if have_mailmerge:
            t["mailmerge"].append(mailmerge_send(work, csv_path, count))
        print(f"  send round {r + 1}: " + ", ".join(f"{k} {v[-1]:.2f}s" for k, v in t.items() if v), flush=True)
    m = {k: median(v) for k, v in t.items() if v}
    rate = lambda s: f"{count / s:,.0f}/s"
    row(f"send {count:,}, parallel 4, end to end", rate(m["p4"]), f"smtplib, 1 connection {rate(m['smtplib'])}",
        f"{m['smtplib'] / m['p4']:.2f}x", ">= 1.5x", m["smtplib"] / m["p4"] >= 1.5)
    if have_mailmerge:
        row(f"send {count:,}, parallel 4, end to end", rate(m["p4"]), f"mailmerge {rate(m['mailmerge'])}",
            f"{m['mailmerge'] / m['p4']:.1f}x", ">= 8x", m["mailmerge"] / m["p4"] >= 8)
    else:
        row(f"send {count:,}, parallel 4", rate(m["p4"]), "mailmerge not installed", "", ">= 8x", None)
    row(f"send {count:,}, parallel 1, end to end", rate(m["p1"]), f"smtplib, 1 connection {rate(m['smtplib'])}",
        f"{m['smtplib'] / m['p1']:.2f}x", ">= 1.0x", m["smtplib"] / m["p1"] >= 1.0)
    row(f"send {count:,}, parallel 4, end to end", rate(m["p4"]), f"smtp-source -d -s 1 {rate(m['source'])}",
        f"{m['source'] / m['p4']:.2f}x", "(for the record)", None)
    row(f"send {count:,}, parallel 4, delivery phase", rate(m["p4-delivery"]),
        f"smtp-source -d -s 1 {rate(m['source'])}", f"{m['source'] / m['p4-delivery']:.2f}x", ">= 1.0x",
        m["source"] / m["p4-delivery"] >= 1.0)
    return csv_path


# --- memory -----------------------------------------------------------------

def bench_memory(work, env):
    count = 100_000
    csv_path = os.path.join(work, "recipients-100k.csv")
    recipients_csv(csv_path, count)
    config = os.path.join(work, "memory.toml")
    write_config(config, None, 1, os.path.join(work, "store-memory/intro.sqlite"))
    seconds, dry = peak_rss([INTRO, "send", "thank-you-business", "--csv", csv_path, "--config", config], env)
    row("100,000-recipient dry run, peak RSS", f"{dry:.1f} MB", f"({fmt_s(seconds)})", "", "<= 64 MB", dry <= 64)
    sink = Sink(work)
    shutil.rmtree(os.path.join(work, "store-memory"), ignore_errors=True)
    write_config(config, sink.port, 4, os.path.join(work, "store-memory/intro.sqlite"))
    seconds, sent = peak_rss([INTRO, "send", "thank-you-business", "--csv", csv_path, "--config", config, "--send",
                              "--no-limit"], env)
    accepted = sink.stop()
    if accepted != count:
        raise SystemExit(f"100k send: the sink accepted {accepted}")
    row("100,000-recipient send, peak RSS", f"{sent:.1f} MB", f"({fmt_s(seconds)}, {count / seconds:,.0f}/s)", "",
        "<= 64 MB", sent <= 64)


# --- a big store: reminders, log, contact list -------------------------------

def big_store(work):
    spec = importlib.util.spec_from_file_location("report_bench", os.path.join(ROOT, "Benchmarks/report/report-bench.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    home = os.path.join(work, "big")
    env = {"HOME": home, "XDG_CONFIG_HOME": home + "/config", "XDG_DATA_HOME": home + "/data",
           "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    subprocess.run([INTRO, "init"], env=env, check=True, stdout=subprocess.DEVNULL)
    with open(home + "/config/intro/config.toml", "a") as f:
        f.write("\n")
    store = home + "/data/intro/intro.sqlite"
    began = time.time()
    module.fill(store)
    # Intel the reminder rules read: promised introductions, sales to check in on.
    import sqlite3
    db = sqlite3.connect(store)
    db.execute("UPDATE referrals SET promised_by = date(created_at, '+14 days') WHERE stage = 'promised'")
    db.execute("UPDATE contacts SET sale_closed_on = date('now', '-' || (id % 400) || ' days'), "
               "client_since = date('now', '-' || (id % 900) || ' days'), satisfaction = 1 + id % 10 WHERE is_client = 1")
    db.commit()
    db.close()
    print(f"  big store: {module.REFERRALS:,} referrals, {module.MESSAGES:,} messages, "
          f"{os.path.getsize(store) / 1e6:.0f} MB, filled in {time.time() - began:.0f} s", flush=True)
    return env, store


def rep_config(env):
    path = env["XDG_CONFIG_HOME"] + "/intro/config.toml"
    text = open(path).read()
    if "[rep]" in text:
        text = text.replace("[rep]", "[rep]\n" + "".join(f'{k} = "{v}"\n' for k, v in REP.items()), 1)
    else:
        text = "[rep]\n" + "".join(f'{k} = "{v}"\n' for k, v in REP.items()) + text
    with open(path, "w") as f:
        f.write(text)


def interleaved(commands, rounds, runs, env):
    """Median seconds of each command, runs per round, the commands interleaved."""
    times = {name: [] for name in commands}
    for _ in range(rounds):
        for _ in range(runs):
            for name, command in commands.items():
                times[name].append(timed(command, env=env))
    return {name: median(v) for name, v in times.items()}


def bench_reminders(env, rounds):
    now = "2026-12-07T10:00:00Z"
    m = interleaved({
        "due": [INTRO, "due", "--now", now, "--json"],
        "remind": [INTRO, "remind", "--now", now],
        "sqlite3": ["sqlite3", env["XDG_DATA_HOME"] + "/intro/intro.sqlite",
                    "SELECT count(*) FROM referrals WHERE stage = 'promised'"],
    }, rounds, 1, env)
    for name in ["due", "remind"]:
        row(f"intro {name} on 100k referrals, 1M messages", fmt_s(m[name]), f"sqlite3 one count {fmt_s(m['sqlite3'])}",
            f"{m[name] / m['sqlite3']:.1f}x its time", "<= 300 ms", m[name] <= 0.3)


def bench_fresh(work, big_env, store, rounds):
    empty_source = os.path.join(work, "empty.swift")
    empty = os.path.join(work, "empty-static")
    with open(empty_source, "w") as f:
        f.write("// An empty program, linked like intro's release build.\n")
    subprocess.run(["swiftc", "-O", "-static-stdlib", "-use-ld=lld", empty_source, "-o", empty], check=True)
    # A sample home for blurb; a template and data for render.
    sample = os.path.join(work, "sample")
    sample_env = {"HOME": sample, "XDG_CONFIG_HOME": sample + "/config", "XDG_DATA_HOME": sample + "/data",
                  "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    subprocess.run([INTRO, "init", "--sample"], env=sample_env, check=True, stdout=subprocess.DEVNULL)
    data = os.path.join(ROOT, "config/sample-intel.json")
    sqlite = shutil.which("sqlite3")
    # What intro log reads: the 20 newest messages (no body) and their attempts.
    log_sql = ("SELECT m.*, a.* FROM (SELECT id, batch_id, recipient, message_id, template, referral_id, subject, "
               "state, attempt_count, next_attempt_at, last_error, created_at, updated_at FROM messages "
               "ORDER BY id DESC LIMIT 20) m LEFT JOIN delivery_attempts a ON a.message_id = m.id ORDER BY m.id DESC")
    contacts_sql = "SELECT * FROM contacts ORDER BY coalesce(name, email) COLLATE NOCASE, email"
    commands = {
        "true": ["/bin/true"],
        "empty": [empty],
        "render": [INTRO, "render", "thank-you-intro", "--data", data],
        "blurb": [INTRO, "blurb", "1"],
        "log": [INTRO, "log", "--limit", "20"],
        "sqlite-log": [sqlite, store, log_sql],
        "contacts": [INTRO, "contact", "list"],
        "sqlite-contacts": [sqlite, store, contacts_sql],
    }
    times = {name: [] for name in commands}
    for _ in range(rounds):
        for _ in range(10):
            for name, command in commands.items():
                env = sample_env if name in ("blurb", "render") else big_env
                times[name].append(timed(command, env=env))
    m = {name: median(v) for name, v in times.items()}
    for name in ["render", "blurb"]:
        row(f"intro {name}, a fresh process", fmt_s(m[name]),
            f"empty static Swift program {fmt_s(m['empty'])}, /bin/true {fmt_s(m['true'])}",
            f"{m[name] / m['empty']:.1f}x", "<= 1.5x", m[name] / m["empty"] <= 1.5)
    row("intro log --limit 20, 1M messages", fmt_s(m["log"]), f"sqlite3 same rows {fmt_s(m['sqlite-log'])}",
        f"{m['log'] / m['sqlite-log']:.1f}x", "<= 3x", m["log"] / m["sqlite-log"] <= 3)
    row("intro contact list, 20,000 contacts", fmt_s(m["contacts"]), f"sqlite3 same rows {fmt_s(m['sqlite-contacts'])}",
        f"{m['contacts'] / m['sqlite-contacts']:.1f}x", "(for the record)", None)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    parser.add_argument("--only", default="render,send,memory,reminders,fresh")
    args = parser.parse_args()
    only = set(args.only.split(","))
    for path in [INTRO, FLOOR, TEMPLATE_BENCH, SINK, SOURCE, "/usr/bin/time"]:
        if not os.path.exists(path):
            raise SystemExit(f"{path} is missing: run make bench-all, which builds and installs it")
    if not shutil.which("sqlite3"):
        raise SystemExit("sqlite3 is missing: run make bench-all, which installs it")
    work = tempfile.mkdtemp(prefix="intro-bench-all-")
    home = os.path.join(work, "home")
    env = {"HOME": home, "XDG_CONFIG_HOME": home + "/config", "XDG_DATA_HOME": home + "/data",
           "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    started = time.time()
    try:
        print(f"intro bench-all: {args.rounds} rounds, {os.cpu_count()} CPUs, "
              f"{subprocess.run([INTRO, '--version'], stdout=subprocess.PIPE, text=True).stdout.strip()}", flush=True)
        if "render" in only:
            bench_render(work, args.shared, args.rounds)
        if "send" in only:
            bench_send(work, args.rounds, args.messages, env)
        if "memory" in only:
            bench_memory(work, env)
        if only & {"reminders", "fresh"}:
            big_env, store = big_store(work)
            rep_config(big_env)
            if "reminders" in only:
                bench_reminders(big_env, args.rounds)
            if "fresh" in only:
                bench_fresh(work, big_env, store, args.rounds)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\n| what | intro | peer (same run) | ratio | target | |")
    print("|---|---|---|---|---|---|")
    for what, intro, peer, ratio, target, holds, detail in rows:
        mark = "" if holds is None else ("holds" if holds else "**missed**")
        print(f"| {what} | {intro} | {peer} {detail} | {ratio} | {target} | {mark} |")
    print(f"\n{len(rows)} rows in {time.time() - started:.0f} s; median of {args.rounds} interleaved rounds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
