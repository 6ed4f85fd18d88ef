#!/usr/bin/env bash
# Installs what intro needs to build (build), to build and test (test), or to
# run every benchmark beside its peers (bench), only what is missing: Debian
# packages with apt-get, Python packages with pip.
# Used by `make build`, `make demo`, `make test` and `make bench-all`; safe to run again.
set -euo pipefail

want=${1:-test}
# libpq5: the PostgreSQL client library a team store is reached through (opened
# at run time, like libcurl; no headers needed to build).
apt_packages=(libcurl4-openssl-dev pkg-config libpq5)
if [ "$want" = test ] || [ "$want" = bench ]; then
  # openssl makes the throwaway test CA; postfix brings smtp-sink, the fault-injecting test server;
  # chromium (with a font) renders the report page, as a reader's browser would.
  # postgresql: the server the team-store tests start, a throwaway cluster per test process.
  apt_packages+=(openssl postfix chromium fonts-dejavu-core postgresql)
fi
if [ "$want" = bench ]; then
  # the peers intro is measured against: the sqlite3 shell for the store's queries;
  # GNU time for peak memory
  apt_packages+=(sqlite3 time)
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi

missing=()
for package in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  # postfix is installed only for its smtp-sink program: no mail configuration,
  # and its daemon must not start (policy-rc.d answering 101 forbids it).
  echo "postfix postfix/main_mailer_type select No configuration" | $sudo debconf-set-selections
  policy=/usr/sbin/policy-rc.d
  added_policy=""
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
    $sudo chmod 755 "$policy"
    added_policy=yes
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if [ -n "$added_policy" ]; then $sudo rm -f "$policy"; fi
fi

python_modules=()
if [ "$want" = test ]; then python_modules=(aiosmtpd:aiosmtpd websocket:websocket-client); fi
# mailmerge, the command-line mail merge a rep might pick instead of intro
if [ "$want" = bench ]; then python_modules=(mailmerge:mailmerge); fi
if [ ${#python_modules[@]} -gt 0 ]; then
  for module in "${python_modules[@]}"; do
    if ! python3 -c "import ${module%%:*}" 2>/dev/null; then
      echo "installing Python package: ${module#*:}"
      python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore "${module#*:}"
    fi
  done
fi
