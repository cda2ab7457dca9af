#!/usr/bin/env bash
# A private PostgreSQL cluster on loopback for tests, the two-instance check and
# the store benchmark: Debian's server binaries, a scratch data directory,
# password (SCRAM) authentication for role "synoptic".
#
#   Scripts/postgres-cluster.sh start DIR [PORT]   # prints the store URL
#   Scripts/postgres-cluster.sh stop DIR
#
# The password is in DIR/password; point SYNOPTIC_STORE_PASSWORD_FILE at it.
# initdb refuses to run as root, so as root the cluster runs as user postgres.
set -euo pipefail

cmd=${1:?usage: postgres-cluster.sh start|stop DIR [PORT]}
dir=${2:?usage: postgres-cluster.sh start|stop DIR [PORT]}
port=${3:-55432}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[[ -x "$bin/initdb" ]] || { echo "postgres-cluster: no PostgreSQL server binaries (apt-get install postgresql)" >&2; exit 2; }

as_owner() {
  if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
  start)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if [[ ! -f "$dir/data/PG_VERSION" ]]; then
      head -c 24 /dev/urandom | base64 | tr -d '/+=' > "$dir/password"
      chmod 600 "$dir/password"
      if [[ $(id -u) == 0 ]]; then chown postgres "$dir" "$dir/password"; chmod 755 "$dir"; fi
      as_owner "$bin/initdb" -D "$dir/data" -U synoptic --pwfile="$dir/password" --auth-local=scram-sha-256 \
        --auth-host=scram-sha-256 -E UTF8 --no-locale > "$dir/initdb.log"
    fi
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200 -c fsync=on" start > /dev/null
    if ! PGPASSWORD=$(cat "$dir/password") psql -h 127.0.0.1 -p "$port" -U synoptic -d postgres -Atqc \
      "SELECT 1 FROM pg_database WHERE datname = 'synoptic'" | grep -q 1; then
      PGPASSWORD=$(cat "$dir/password") psql -h 127.0.0.1 -p "$port" -U synoptic -d postgres -qc "CREATE DATABASE synoptic" > /dev/null
    fi
    # The password file is read by the tests and instances, which may run as another user.
    [[ $(id -u) == 0 ]] && chmod 644 "$dir/password"
    echo "postgres://synoptic@127.0.0.1:$port/synoptic"
    ;;
  stop)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop > /dev/null
    ;;
  *)
    echo "usage: postgres-cluster.sh start|stop DIR [PORT]" >&2
    exit 2
    ;;
esac
