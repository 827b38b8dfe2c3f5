#!/usr/bin/env bash
# PostgreSQL on 127.0.0.1:5432 for development and CI integration tests.
#
#   scripts/services/postgres.sh up       make sure a server answers, user postgres
#                                         can log in over TCP without a password,
#                                         and database engine_test exists
#   scripts/services/postgres.sh down     stop the server, only if `up` started it
#   scripts/services/postgres.sh status   print whether it answers (exit 0 = yes, 3 = no)
#
# Why this shape: the dev/CI machines come with Debian's PostgreSQL already
# running, so `up` is normally just a check. It still copes with a stopped
# cluster (starts it) and with a machine without PostgreSQL (installs Debian's
# package), so the same script works on a fresh machine. It never stops a
# server it did not start: a marker file in the state dir records that.
#
# State: ${ENGINE_SERVICES_HOME:-$HOME/.cache/engine-services}/postgres/
#   started-by-script   "<version> <cluster>" of the cluster `up` started
#
# Environment overrides: ENGINE_SERVICES_HOME, PG_DATABASE (default engine_test),
# PG_START_TIMEOUT (seconds, default 60).
set -Eeuo pipefail

STATE_HOME="${ENGINE_SERVICES_HOME:-$HOME/.cache/engine-services}"
PDIR="$STATE_HOME/postgres"
MARKER="$PDIR/started-by-script"

HOST=127.0.0.1
PORT=5432
PGUSER_NAME=postgres
DB="${PG_DATABASE:-engine_test}"
START_TIMEOUT="${PG_START_TIMEOUT:-60}"
export PGCONNECT_TIMEOUT=5

say() { echo "[services] postgres: $*"; }
die() { echo "[services] postgres: ERROR: $*" >&2; exit 1; }
# A command failing outside the handled paths still says where, instead of a
# bare exit 1 (set -E makes the trap apply inside functions too).
on_err() { echo "[services] postgres: ERROR: unexpected failure (exit $1) at line $2: $3" >&2; exit "$1"; }
trap 'on_err $? $LINENO "$BASH_COMMAND"' ERR

# As root use the commands directly; otherwise go through sudo when needed.
# 9>&-: the lock fd (see main) must not be inherited by the postmaster that
# pg_ctlcluster leaves running, or the lock would be held until it stops.
as_root() {
  if [[ $EUID -eq 0 ]]; then "$@" 9>&-
  elif command -v sudo >/dev/null 2>&1; then sudo -n "$@" 9>&-
  else die "need root (or sudo) to run: $*"
  fi
}

answers() {
  command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h "$HOST" -p "$PORT" -t 2
}

# "<version> <cluster>" of the local Debian cluster configured for our port,
# falling back to the first <version>/main (as `ls /etc/postgresql | head -1`).
local_cluster() {
  local c=""
  if command -v pg_lsclusters >/dev/null 2>&1; then
    c="$(pg_lsclusters -h 2>/dev/null | awk -v p="$PORT" '$3 == p { print $1, $2; exit }')"
  fi
  if [[ -z "$c" ]]; then
    local d
    for d in /etc/postgresql/*/main; do
      [[ -d "$d" ]] && { c="$(basename "$(dirname "$d")") main"; break; }
    done
  fi
  [[ -n "$c" ]] && echo "$c"
}

install_postgres() {
  say "PostgreSQL is not installed: installing Debian's postgresql package"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
}

wait_answers() {
  local deadline=$((SECONDS + START_TIMEOUT))
  until answers; do
    ((SECONDS < deadline)) || return 1
    sleep 0.5
  done
}

start_cluster() {
  local ver="$1" name="$2"
  say "starting cluster $ver/$name"
  # --skip-systemctl-redirect: start it directly even where systemd is PID 1
  # (containers and CI have no working systemd unit for it).
  if ! as_root pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" start; then
    tail -n 30 "/var/log/postgresql/postgresql-$ver-$name.log" >&2 2>/dev/null || true
    die "pg_ctlcluster $ver $name start failed"
  fi
  echo "$ver $name" >"$MARKER"
  wait_answers || {
    tail -n 30 "/var/log/postgresql/postgresql-$ver-$name.log" >&2 2>/dev/null || true
    die "cluster $ver/$name started but does not answer on $HOST:$PORT after ${START_TIMEOUT}s"
  }
}

psql_pg() {
  psql -X -q -w -h "$HOST" -p "$PORT" -U "$PGUSER_NAME" -d postgres -v ON_ERROR_STOP=1 -At "$@"
}

# The tests connect as postgres over TCP without a password. Debian's default
# pg_hba.conf asks for one (scram-sha-256) on 127.0.0.1, so on a freshly
# installed cluster add trust lines for loopback in front of the others.
ensure_trust() {
  if psql_pg -c 'select 1' >/dev/null 2>&1; then return 0; fi
  local c ver name hba
  c="$(local_cluster)" || die "cannot log in as $PGUSER_NAME on $HOST:$PORT without a password, and no local Debian cluster to configure"
  read -r ver name <<<"$c"
  hba="/etc/postgresql/$ver/$name/pg_hba.conf"
  [[ -f "$hba" ]] || die "cannot log in as $PGUSER_NAME on $HOST:$PORT and $hba does not exist"
  say "allowing trust auth for loopback TCP in $hba (test machine only)"
  as_root cp -p "$hba" "$hba.engine-services.bak"
  {
    echo "# Added by engine scripts/services/postgres.sh: passwordless loopback for tests."
    echo "host    all    all    127.0.0.1/32    trust"
    echo "host    all    all    ::1/128         trust"
    cat "$hba.engine-services.bak"
  } | as_root tee "$hba" >/dev/null
  as_root pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" reload
  local _
  for _ in $(seq 1 20); do
    psql_pg -c 'select 1' >/dev/null 2>&1 && return 0
    sleep 0.25
  done
  die "still cannot log in as $PGUSER_NAME on $HOST:$PORT without a password"
}

ensure_database() {
  local exists
  exists="$(psql_pg -c "select 1 from pg_database where datname = '$DB'")"
  if [[ "$exists" == 1 ]]; then return 0; fi
  say "creating database $DB"
  createdb -w -h "$HOST" -p "$PORT" -U "$PGUSER_NAME" "$DB" 2>"$PDIR/createdb.err" || {
    # Lost a race with another creator: fine as long as it exists now.
    [[ "$(psql_pg -c "select 1 from pg_database where datname = '$DB'")" == 1 ]] \
      || { cat "$PDIR/createdb.err" >&2; die "createdb $DB failed"; }
  }
}

cmd_up() {
  if answers; then
    say "already answering on $HOST:$PORT"
  else
    local c
    if ! c="$(local_cluster)"; then
      install_postgres
      # The package's postinst creates <version>/main and may already start it.
      c="$(local_cluster)" || die "postgresql installed but no cluster found (pg_lsclusters shows none)"
    fi
    if answers; then
      # The package started it during install: ours to stop all the same.
      echo "$c" >"$MARKER"
      say "cluster $c is answering on $HOST:$PORT"
    else
      local ver name
      read -r ver name <<<"$c"
      start_cluster "$ver" "$name"
    fi
  fi
  ensure_trust
  ensure_database
  say "ready on $HOST:$PORT (user $PGUSER_NAME, database $DB)"
}

cmd_down() {
  if [[ ! -f "$MARKER" ]]; then
    if answers; then say "not started by this script; leaving the server on $HOST:$PORT running"
    else say "not running"
    fi
    return 0
  fi
  local ver name
  read -r ver name <"$MARKER"
  say "stopping cluster $ver/$name (started by up)"
  as_root pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" stop || die "pg_ctlcluster $ver $name stop failed"
  rm -f "$MARKER"
  say "stopped"
}

cmd_status() {
  if answers; then
    if [[ -f "$MARKER" ]]; then echo "running on $HOST:$PORT (started by this script: $(cat "$MARKER"))"
    else echo "running on $HOST:$PORT"
    fi
    return 0
  fi
  echo "not running"
  return 3
}

main() {
  local cmd="${1:-}"
  case "$cmd" in
    up | down | status) ;;
    *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
  esac
  mkdir -p "$PDIR"
  # One up/down at a time, so two callers do not both start or both stop it.
  exec 9>"$PDIR/.lock"
  if [[ "$cmd" != status ]]; then
    flock -w 300 9 || die "another postgres.sh up/down has held $PDIR/.lock for 5 minutes"
  fi
  if [[ "$cmd" == status ]]; then
    # Exit 3 = not running is an answer, not an error: keep it off the ERR trap.
    cmd_status || exit $?
  else
    "cmd_$cmd"
  fi
}

main "$@"
