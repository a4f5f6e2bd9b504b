#!/bin/bash
# postgres-shim.sh speaks the part of bin/replisql's command line that the
# integration suite uses, and runs PostgreSQL 15 instead, so that the
# suite's expectations can be checked against the real thing:
#
#   REPLISQL_BIN=$PWD/integration/testdata/postgres-shim.sh go test ./integration/
#
#   postgres-shim.sh user add --users-file F --name N --method M < password
#       appends "N:M:password" (plaintext: for tests only) to F;
#   postgres-shim.sh serve --data-dir D --listen 127.0.0.1:P [--tls-cert F
#       --tls-key F --tls-required] [--users-file F] [--auth METHOD]
#       [--database NAME] [--max-connections N] [--shutdown-timeout T]
#       runs initdb on first start, creates the users, writes pg_hba.conf
#       and runs postgres. SIGTERM becomes a fast shutdown (SIGINT), which
#       is what replisql's graceful stop is closest to.
#
# The cluster lives in D/cluster; when started as root, postgres runs as
# nobody, and the shim makes D's parent directories traversable for it.
set -eu
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
die() { echo "postgres-shim: $*" >&2; exit 2; }

if [ "${1:-}" = user ]; then
	[ "${2:-}" = add ] || die "usage: $0 user add --users-file F --name N --method M"
	shift 2
	file='' name='' method=scram-sha-256
	while [ $# -gt 0 ]; do
		case $1 in
		--users-file) file=$2; shift 2 ;;
		--name) name=$2; shift 2 ;;
		--method) method=$2; shift 2 ;;
		*) die "unknown argument $1" ;;
		esac
	done
	pw=''
	[ "$method" = trust ] || IFS= read -r pw || true
	echo "$name:$method:$pw" >>"$file"
	exit 0
fi

[ "${1:-}" = serve ] || die "usage: $0 serve --data-dir DIR --listen HOST:PORT ..."
shift
datadir='' listen='' cert='' key='' tlsreq=0 users='' auth=trust db=postgres maxconn=100
while [ $# -gt 0 ]; do
	case $1 in
	--data-dir) datadir=$2; shift 2 ;;
	--listen) listen=$2; shift 2 ;;
	--tls-cert) cert=$2; shift 2 ;;
	--tls-key) key=$2; shift 2 ;;
	--tls-required) tlsreq=1; shift ;;
	--users-file) users=$2; shift 2 ;;
	--auth) auth=$2; shift 2 ;;
	--database) db=$2; shift 2 ;;
	--max-connections) maxconn=$2; shift 2 ;;
	--shutdown-timeout) shift 2 ;;
	*) die "unknown argument $1" ;;
	esac
done
[ -n "$datadir" ] && [ -n "$listen" ] || die "--data-dir and --listen are required"
host=${listen%:*}
port=${listen##*:}
mkdir -p "$datadir"
datadir=$(realpath "$datadir")
pgdir="$datadir/cluster"
mkdir -p "$pgdir"
as=()
if [ "$(id -u)" = 0 ]; then
	# The test's temporary directories are 0700: let nobody through.
	d=$datadir
	while [ "$d" != / ] && [ "$d" != /tmp ]; do
		chmod o+x "$d"
		d=$(dirname "$d")
	done
	chown "$(id -u nobody):$(id -g nobody)" "$pgdir"
	as=(setpriv --reuid="$(id -u nobody)" --regid="$(id -g nobody)" --clear-groups --)
fi
pg="$pgdir/pg"
if [ ! -f "$pg/PG_VERSION" ]; then
	"${as[@]}" "$PGBIN/initdb" -D "$pg" -A trust -U postgres -E UTF8 --locale=C --no-instructions >&2
	[ "$db" = postgres ] || echo "CREATE DATABASE \"$db\";" | "${as[@]}" "$PGBIN/postgres" --single -D "$pg" postgres >/dev/null
	if [ -n "$users" ]; then
		while IFS=: read -r name method pw; do
			[ -n "$name" ] && [ "${name#\#}" = "$name" ] || continue
			enc=scram-sha-256
			[ "$method" = md5 ] && enc=md5
			pwq=${pw//\'/\'\'}
			printf "SET password_encryption = '%s'; CREATE ROLE \"%s\" LOGIN SUPERUSER PASSWORD '%s';\n" "$enc" "$name" "$pwq" |
				"${as[@]}" "$PGBIN/postgres" --single -D "$pg" postgres >/dev/null
		done <"$users"
	fi
fi
hostline=host
opts=()
if [ -n "$cert" ]; then
	install -m 0600 "$cert" "$pg/server.crt"
	install -m 0600 "$key" "$pg/server.key"
	[ "$(id -u)" = 0 ] && chown "$(id -u nobody):$(id -g nobody)" "$pg/server.crt" "$pg/server.key"
	opts+=(-c ssl=on -c ssl_cert_file="$pg/server.crt" -c ssl_key_file="$pg/server.key")
	[ "$tlsreq" = 1 ] && hostline=hostssl
fi
{
	if [ -n "$users" ]; then
		while IFS=: read -r name method pw; do
			[ -n "$name" ] && [ "${name#\#}" = "$name" ] || continue
			echo "$hostline all \"$name\" 127.0.0.1/32 $method"
		done <"$users"
	fi
	echo "$hostline all all 127.0.0.1/32 $auth"
} >"$pg/pg_hba.conf"
[ "$(id -u)" = 0 ] && chown "$(id -u nobody):$(id -g nobody)" "$pg/pg_hba.conf"
"${as[@]}" "$PGBIN/postgres" -D "$pg" -p "$port" -c listen_addresses="$host" \
	-c unix_socket_directories="$pgdir" -c max_connections="$maxconn" -c superuser_reserved_connections=0 \
	-c logging_collector=off -c fsync=off "${opts[@]}" &
child=$!
trap 'kill -INT $child 2>/dev/null' TERM INT
set +e
while :; do
	wait $child
	rc=$?
	kill -0 $child 2>/dev/null || exit $rc
done
