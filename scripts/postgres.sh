#!/usr/bin/env bash
# Start or stop a throw-away PostgreSQL 15 + PostGIS cluster for tests on 127.0.0.1:5499.
# Idempotent: `start` on a running cluster only prints its URL. Trust auth and fsync=off:
# never point anything that matters at it.
set -euo pipefail

port=${CCTWIN_PG_PORT:-5499}
data=${CCTWIN_PG_DATA:-/tmp/cctwin-pg}
bin=/usr/lib/postgresql/15/bin
postgis=postgresql-15-postgis-3
url="postgresql+psycopg://postgres@127.0.0.1:${port}/postgres"

usage() {
    echo "usage: $0 start|stop|status" >&2
    exit 2
}

# The server refuses to run as root, so root runs it as Debian's `postgres` user.
as_owner() {
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

install_postgis() {
    # `dpkg -s` succeeds for removed-but-configured packages too, so check the status line.
    if dpkg-query -W -f='${Status}' "$postgis" 2>/dev/null | grep -q "install ok installed"; then
        return
    fi
    local as_root
    if [[ $(id -u) -eq 0 ]]; then
        as_root=()
    elif command -v sudo >/dev/null 2>&1; then
        as_root=(sudo)
    else
        echo "Need root (or sudo) to install $postgis" >&2
        exit 1
    fi
    echo "Installing: $postgis" >&2
    "${as_root[@]}" apt-get update -q >&2
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends "$postgis" >&2
}

running() {
    [[ -f "$data/PG_VERSION" ]] && as_owner "$bin/pg_ctl" status -D "$data" >/dev/null 2>&1
}

start() {
    if [[ ! -x "$bin/pg_ctl" ]]; then
        echo "PostgreSQL 15 server binaries not found in $bin" >&2
        exit 3
    fi
    install_postgis
    if running; then
        echo "$url"
        return
    fi
    if [[ ! -f "$data/PG_VERSION" ]]; then
        rm -rf "$data"
        mkdir -p "$data"
        if [[ $(id -u) -eq 0 ]]; then
            chown postgres: "$data"
        fi
        chmod 700 "$data"
        as_owner "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --no-locale >&2
    fi
    # The socket goes in the data folder: /var/run/postgresql may be missing or not ours.
    if ! as_owner "$bin/pg_ctl" start -w -t 60 -D "$data" -l "$data/server.log" \
        -o "-p $port -c listen_addresses=127.0.0.1 -k $data -c fsync=off -c synchronous_commit=off -c full_page_writes=off" >&2; then
        tail -n 20 "$data/server.log" >&2 || true
        exit 1
    fi
    echo "$url"
}

stop() {
    if running; then
        as_owner "$bin/pg_ctl" stop -w -D "$data" -m fast >&2
    fi
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status)
        if running; then echo "running: $url"; else echo "stopped"; exit 1; fi
        ;;
    *) usage ;;
esac
