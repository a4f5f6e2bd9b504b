#!/bin/sh
# postgres-shim.sh speaks the RepliSQL server's command-line contract,
#
#   postgres-shim.sh serve --data-dir DIR --listen 127.0.0.1:PORT [--pprof 127.0.0.1:PORT]
#
# and runs PostgreSQL 15 instead (initdb on first start, then exec postgres,
# as the user nobody when started as root). With it the harness is tested end
# to end, PostgreSQL on both sides, before RepliSQL exists:
#
#   go run ./integration/bench --quick --replisql-bin integration/bench/testdata/postgres-shim.sh
#
# --pprof is accepted and ignored: PostgreSQL has no pprof endpoint.
set -eu
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
usage() { echo "usage: $0 serve --data-dir DIR --listen HOST:PORT [--pprof HOST:PORT]" >&2; exit 2; }
[ "${1:-}" = serve ] || usage
shift
datadir='' listen=''
while [ $# -gt 0 ]; do
	case $1 in
	--data-dir) [ $# -ge 2 ] || usage; datadir=$2; shift 2 ;;
	--listen) [ $# -ge 2 ] || usage; listen=$2; shift 2 ;;
	--pprof) [ $# -ge 2 ] || usage; shift 2 ;;
	*) echo "postgres-shim: unknown argument $1" >&2; usage ;;
	esac
done
[ -n "$datadir" ] && [ -n "$listen" ] || usage
host=${listen%:*}
port=${listen##*:}
mkdir -p "$datadir"
if [ "$(id -u)" = 0 ]; then
	chown "$(id -u nobody):$(id -g nobody)" "$datadir"
	set -- setpriv --reuid="$(id -u nobody)" --regid="$(id -g nobody)" --clear-groups --
else
	set --
fi
if [ ! -f "$datadir/pg/PG_VERSION" ]; then
	"$@" "$PGBIN/initdb" -D "$datadir/pg" -A trust -U postgres -E UTF8 --locale=C --no-instructions --no-sync >&2
fi
exec "$@" "$PGBIN/postgres" -D "$datadir/pg" -p "$port" -c listen_addresses="$host" \
	-c unix_socket_directories="$datadir" -c fsync=on -c logging_collector=off
