#!/usr/bin/env bash
# Install the Debian packages sales_kpi needs to build and run its demo
# (scripts/deps.sh), or also to run every test suite (scripts/deps.sh --tests):
# with apt-get when run as root, otherwise print the exact command and fail.
set -euo pipefail
cd "$(dirname "$0")/.."

PG=15
packages=(
  make gcc
  "postgresql-$PG" "postgresql-server-dev-$PG" "postgresql-contrib"
  "postgresql-$PG-cron"
)
if [ "${1:-}" = --tests ]; then
  packages+=("postgresql-$PG-pgtap" libtap-parser-sourcehandler-pgtap-perl)
  # Integration suites add their own (test/<suite>/packages).
  for f in test/*/packages; do
    [ -f "$f" ] && while read -r p; do [ -n "$p" ] && packages+=("$p"); done < <(grep -v '^#' "$f")
  done
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  echo "Installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "Missing packages: ${missing[*]}" >&2
  echo "Run:  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi
