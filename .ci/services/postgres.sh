# PostgreSQL for the store tests: Debian's server, a throwaway cluster on 127.0.0.1.
#
# SOURCED by .ci/run (after one `apt-get update`), so: no `exit`, no `set -e` of its own.
# Idempotent and fast when already done: installs only what is missing, initialises the cluster
# once (in $AMBERLINE_PG_DIR), starts it only when it is not running, and always EXPORTS
#   AMBERLINE_TEST_PG_URL=postgresql+psycopg://amber:amber@127.0.0.1:PORT/amber_test
# which tests/test_store.py and tests/test_scale_pg.py read (they skip without it).
# Works as root (CI: the server runs as the `postgres` user through runuser) or as a normal user.

amberline_pg_setup() (
  local dir="${AMBERLINE_PG_DIR:-/tmp/amberline-pg}"
  local bin initdb port as_pg
  if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
    echo "postgres.sh: installing postgresql"
    apt-get install -y -qq postgresql postgresql-contrib >/dev/null || return 1
  fi
  bin="$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")"
  initdb="$bin/initdb"
  if [ "$(id -u)" = 0 ]; then
    as_pg="runuser -u postgres --"
  else
    as_pg=""
  fi
  mkdir -p "$dir"
  cd "$dir" || return 1  # the server user must be able to stat the working folder
  if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$dir"; fi
  if [ ! -s "$dir/port" ]; then
    # A free port, chosen once and remembered so that sourcing again finds the same server.
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' \
      >"$dir/port" || return 1
  fi
  port="$(cat "$dir/port")"
  if [ ! -s "$dir/data/PG_VERSION" ]; then
    echo "postgres.sh: initialising a cluster in $dir/data"
    $as_pg "$initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null \
      || return 1
  fi
  if ! $as_pg "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    echo "postgres.sh: starting PostgreSQL on 127.0.0.1:$port"
    $as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200 -c fsync=off" \
      start >/dev/null || { tail -n 20 "$dir/server.log"; return 1; }
  fi
  local tries=0
  until "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"; do
    tries=$((tries + 1))
    if [ "$tries" -gt 60 ]; then echo "postgres.sh: server not ready"; return 1; fi
    sleep 0.5
  done
  export PGOPTIONS="--client-min-messages=warning"
  local psql="$bin/psql -q -h 127.0.0.1 -p $port -U postgres -v ON_ERROR_STOP=1"
  if [ "$($psql -tAc "SELECT 1 FROM pg_roles WHERE rolname = 'amber'")" != 1 ]; then
    $psql -c "CREATE ROLE amber LOGIN PASSWORD 'amber'" || return 1
  fi
  if [ "$($psql -tAc "SELECT 1 FROM pg_database WHERE datname = 'amber_test'")" != 1 ]; then
    $psql -c "CREATE DATABASE amber_test OWNER amber" || return 1
  fi
  # unaccent lets full-text search fold accents (café = cafe); extensions need a superuser.
  $psql -d amber_test -c "CREATE EXTENSION IF NOT EXISTS unaccent" || return 1
  echo "postgresql+psycopg://amber:amber@127.0.0.1:$port/amber_test" >"$dir/url"
)

if amberline_pg_setup; then
  AMBERLINE_TEST_PG_URL="$(cat "${AMBERLINE_PG_DIR:-/tmp/amberline-pg}/url")"
  export AMBERLINE_TEST_PG_URL
  echo "postgres.sh: AMBERLINE_TEST_PG_URL=$AMBERLINE_TEST_PG_URL"
else
  echo "postgres.sh: PostgreSQL setup FAILED"
  # In CI the PostgreSQL tests must run, not skip: point them at nothing so they fail loudly.
  if [ "${CI:-}" = true ]; then
    export AMBERLINE_TEST_PG_URL="postgresql+psycopg://amber:amber@127.0.0.1:1/setup_failed"
  fi
fi
unset -f amberline_pg_setup
