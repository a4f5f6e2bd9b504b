#!/bin/bash
# record.sh records golden/NAME.txt for TestPsqlMeta (integration/psqlmeta_test.go)
# from a real PostgreSQL 15 server:
#
#   bash integration/testdata/psqlmeta/record.sh        (from anywhere; PGBIN to override)
#
# It initdb's a throwaway cluster the way a RepliSQL node presents itself
# (bootstrap superuser postgres, encoding UTF8, locale C.UTF-8, database
# postgres), loads schema.sql with psql, and runs every meta-command of
# commands.txt with `psql -X -c COMMAND`, stdout and stderr together, as the
# test does against RepliSQL. The output is written as psql printed it: the
# test normalises both sides the same way (psqlmeta_test.go, normaliseMeta).
# As root, the server runs as nobody.
set -euo pipefail
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
here=$(cd "$(dirname "$0")" && pwd)
psql=${PSQL:-$(command -v psql)}
"$psql" --version | grep -q ' 15\.' || { echo "record.sh: need psql 15, have $("$psql" --version)" >&2; exit 2; }

tmp=$(mktemp -d)
as=()
if [ "$(id -u)" = 0 ]; then
	chmod 0755 "$tmp"
	chown "$(id -u nobody):$(id -g nobody)" "$tmp"
	as=(setpriv --reuid="$(id -u nobody)" --regid="$(id -g nobody)" --clear-groups --)
fi
pid=''
cleanup() {
	if [ -n "$pid" ]; then
		kill -INT "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

"${as[@]}" "$PGBIN/initdb" -D "$tmp/pg" -A trust -U postgres -E UTF8 --locale=C.UTF-8 \
	--no-instructions --no-sync >"$tmp/initdb.log" 2>&1 || { cat "$tmp/initdb.log" >&2; exit 1; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"${as[@]}" "$PGBIN/postgres" -D "$tmp/pg" -p "$port" -c listen_addresses=127.0.0.1 \
	-c unix_socket_directories="$tmp" -c logging_collector=off -c fsync=off >"$tmp/server.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
	"$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$port" && break
	sleep 0.1
done

# The client environment of the test: no PG* variables but these.
run() { env -i PATH="$PATH" LANG=C.UTF-8 PGTZ=UTC "$psql" -X -d "host=127.0.0.1 port=$port user=postgres dbname=postgres sslmode=disable" "$@"; }
run -q -v ON_ERROR_STOP=1 -f "$here/schema.sql"

mkdir -p "$here/golden"
rm -f "$here"/golden/*.txt
grep -v '^#' "$here/commands.txt" | while IFS=$'\t' read -r name cmd; do
	[ -n "$name" ] || continue
	run -c "$cmd" >"$here/golden/$name.txt" 2>&1 || true
done
echo "recorded $(ls "$here"/golden/*.txt | wc -l) golden files with $("$PGBIN/postgres" --version)"
