#!/usr/bin/env bash
# Checks that `intro contact import` streams: the peak memory of importing
# 50,000 rows and of 200,000 rows (either build) must be within 8 MiB of each
# other and under 64 MiB. A loader that held the file or the rows would grow
# with the file.
set -euo pipefail
intro=${1:-.build/release/intro}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

peak_kib() {
  local rows=$1
  python3 - "$work/$rows.csv" "$rows" <<'PY'
import sys
path, rows = sys.argv[1], int(sys.argv[2])
with open(path, "w", newline="") as f:
    f.write("email,name,company,notes\r\n")
    for i in range(rows):
        f.write(f'user{i}@example.com,User {i},"Company {i % 977}, Inc","Met at the {i % 31} expo"\r\n')
PY
  XDG_CONFIG_HOME="$work/config-$rows" XDG_DATA_HOME="$work/data-$rows" python3 - "$intro" "$work/$rows.csv" <<'PY'
import resource, subprocess, sys
result = subprocess.run([sys.argv[1], "contact", "import", sys.argv[2]], capture_output=True, text=True)
if result.returncode != 0:
    sys.exit("import failed: " + result.stderr)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
PY
}

small=$(peak_kib 50000)
large=$(peak_kib 200000)
echo "import peak memory: 50,000 rows ${small} KiB, 200,000 rows ${large} KiB"
if [ $((large - small)) -gt 8192 ] || [ "$large" -gt 65536 ]; then
  echo "import memory grows with the file: not streaming" >&2
  exit 1
fi
