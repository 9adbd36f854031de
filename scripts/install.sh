#!/usr/bin/env bash
# Install the built extension into the PostgreSQL tree; as a non-root user
# without write access, print the exact command instead.
set -euo pipefail
MAKE=${1:-make}
pg_config=$(${MAKE} -s --no-print-directory print-pg-config)
libdir=$($pg_config --pkglibdir)
sharedir=$($pg_config --sharedir)
if [ -w "$libdir" ] && [ -w "$sharedir/extension" ]; then
  ${MAKE} --no-print-directory -s install >/dev/null
else
  echo "Cannot write to $libdir. Run:  sudo ${MAKE} install" >&2
  exit 1
fi
