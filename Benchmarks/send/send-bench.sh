#!/usr/bin/env bash
# The send benchmark: 10,000 personalised messages from a CSV, rendered,
# composed, journaled and delivered by `intro send` over 4 connections to
# Postfix's smtp-sink on 127.0.0.1, against Postfix's own smtp-source sending
# the same number of messages of the same size over one session (-d -s 1) to
# the same sink, in the same run. Each side runs ROUNDS times, alternating; the
# medians are compared. Usage: Benchmarks/send/send-bench.sh [MESSAGES] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/../.."

messages=${1:-10000}
rounds=${2:-3}
intro=.build/release/intro
[ -x "$intro" ] || { echo "build first: make release" >&2; exit 2; }
for tool in /usr/sbin/smtp-sink /usr/sbin/smtp-source; do
  [ -x "$tool" ] || { echo "$tool is missing: .ci/deps.sh test installs postfix" >&2; exit 2; }
done

work=$(mktemp -d)
sink_pid=
cleanup() {
  [ -n "$sink_pid" ] && kill "$sink_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sink_user=()
[ "$(id -u)" = 0 ] && sink_user=(-u nobody)
/usr/sbin/smtp-sink "${sink_user[@]}" "127.0.0.1:$port" 256 &
sink_pid=$!
for _ in $(seq 50); do
  python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null && break
  sleep 0.1
done

python3 - "$work/recipients.csv" "$messages" <<'PY'
import csv, sys
path, count = sys.argv[1], int(sys.argv[2])
with open(path, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["email", "name", "company"])
    for i in range(count):
        w.writerow([f"client{i}@example.org", f"Client Number{i}", f"Company {i} & Sons"])
PY

cat > "$work/config.toml" <<TOML
[rep]
name = "Dana Rep"
email = "dana@example.com"
title = "Account Executive"
company = "Acme Analytics"
phone = "+1 555 0100"
[smtp]
url = "smtp://127.0.0.1:$port"
tls = "none"
parallel = 4
[store]
path = "$work/store/intro.sqlite"
TOML
chmod 600 "$work/config.toml"

# The size smtp-source sends: one of the messages intro would send.
size=$("$intro" send thank-you-business --csv "$work/recipients.csv" --config "$work/config.toml" --json \
  | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["first"].encode()))')

# Wall-clock seconds of a command (its output to the file $1), from bash's own clock.
elapsed() {
  local out=$1
  shift
  local start=$EPOCHREALTIME
  "$@" > "$out"
  python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.3f}')" "$start" "$EPOCHREALTIME"
}
floor=Benchmarks/.build/release/send-floor
"$intro" send thank-you-business --csv "$work/recipients.csv" --config "$work/config.toml" --json \
  | python3 -c 'import json, sys; sys.stdout.write(json.load(sys.stdin)["first"])' > "$work/message.eml"
intro_times=()
source_times=()
floor_times=()
delivery_times=()
for round in $(seq "$rounds"); do
  rm -rf "$work/store"
  intro_times+=("$(elapsed "$work/intro.json" "$intro" send thank-you-business \
    --csv "$work/recipients.csv" --config "$work/config.toml" --send --no-limit --json)")
  delivery_times+=("$(python3 -c "import json,sys; r=json.load(open(sys.argv[1])); assert r['sent']==int(sys.argv[2]), r; print(r['elapsedSeconds'])" \
    "$work/intro.json" "$messages")")
  source_times+=("$(elapsed /dev/null /usr/sbin/smtp-source -d -s 1 -m "$messages" -l "$size" "127.0.0.1:$port")")
  # The transport alone, for the breakdown: no rendering, no store (built by make bench-send).
  if [ -x "$floor" ]; then floor_times+=("$("$floor" "$work/message.eml" "127.0.0.1:$port" "$messages" 4)"); fi
done

python3 - "$messages" "$size" "${intro_times[*]}" "${source_times[*]}" "${floor_times[*]:-}" "${delivery_times[*]}" <<'PY'
import statistics, sys
count, size = int(sys.argv[1]), int(sys.argv[2])
intro = [float(x) for x in sys.argv[3].split()]
source = [float(x) for x in sys.argv[4].split()]
floor = [float(x) for x in sys.argv[5].split()]
delivery = [float(x) for x in sys.argv[6].split()]
i, s = statistics.median(intro), statistics.median(source)
print(f"messages: {count} of {size} bytes; rounds: {len(intro)}")
print(f"intro send (4 connections, render+compose+journal+send): median {i:.3f} s = {count / i:,.0f} msgs/s   runs: {', '.join(f'{x:.3f}' for x in intro)}")
print(f"smtp-source -d -s 1 (1 connection, fixed message):        median {s:.3f} s = {count / s:,.0f} msgs/s   runs: {', '.join(f'{x:.3f}' for x in source)}")
d = statistics.median(delivery)
print(f"breakdown: intro's delivery phase (claims, journal, 4 connections): median {d:.3f} s = {count / d:,.0f} msgs/s ({s / d:.2f}x smtp-source); start-up, preflight and storing the batch: {i - d:.3f} s")
if floor:
    f = statistics.median(floor)
    print(f"breakdown: libcurl transport alone, 4 connections, no render/store (send-floor): median {f:.3f} s = {count / f:,.0f} msgs/s")
print(f"ratio intro / smtp-source: {s / i:.2f}x (target >= 1.00)")
PY
