#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server for the test suite and prints its URL.
#
#   scripts/postgres.sh          install PostgreSQL if missing, start the server, print the URL
#   scripts/postgres.sh stop     stop it
#
# The server is private to the tests: its own data directory, port 55432 on 127.0.0.1 only,
# trust authentication. It is never the production database (see README, "Deploy").
set -euo pipefail

dir=${ANJUNGAN_PG_DIR:-/tmp/anjungan-pg}
port=${ANJUNGAN_PG_PORT:-55432}
url="postgres://anjungan@127.0.0.1:${port}/anjungan_test"

sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "postgres: installing PostgreSQL" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends postgresql >&2
fi
bin=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")

# PostgreSQL refuses to run as root: run it as the packaged `postgres` account then.
as_owner() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if [[ ${1:-} == stop ]]; then
  as_owner "$bin/pg_ctl" -D "$dir/data" stop -m fast >&2 || true
  exit 0
fi

if [[ ! -f $dir/data/PG_VERSION ]]; then
  mkdir -p "$dir"
  [[ $(id -u) -eq 0 ]] && chown postgres: "$dir"
  as_owner "$bin/initdb" -D "$dir/data" -U anjungan --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
fi
if ! as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
  as_owner "$bin/pg_ctl" -D "$dir/data" -w -l "$dir/server.log" \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off" start >&2
fi
if ! as_owner "$bin/psql" -h 127.0.0.1 -p "$port" -U anjungan -d postgres -tAc \
  "SELECT 1 FROM pg_database WHERE datname = 'anjungan_test'" | grep -q 1; then
  as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U anjungan anjungan_test
fi
echo "$url"
