#!/bin/sh
# Records testdata/golden/*.txt from a PostgreSQL 15 server holding
# testdata/schema.sql in a database named bench:
#   PGPORT=54399 sh testdata/record_golden.sh      (run from pgsql/catalog)
# Each golden file has one line per row, cells separated by a tab, NULL as
# \N, a newline in a cell as \n. A cell equal to the oid of a user relation or constraint is written
# <oid:NAME>; in the \\d+ listings (names ending in "plus"), sizes are written <size>.
set -e
P() { psql -X -q -v ON_ERROR_STOP=1 -h "${PGHOST:-127.0.0.1}" -p "${PGPORT:-5432}" -U "${PGUSER:-postgres}" -d "${PGDATABASE:-bench}" -At -P 'null=\N' -F "$(printf '\t')" "$@"; }
# Q runs a query file; a newline inside a cell is written \n.
Q() { P -R "$(printf '\036')" -f "$1" | awk 'BEGIN { RS = "\036" } { sub(/\n$/, ""); gsub(/\n/, "\\n"); print }'; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p testdata/golden
rm -f testdata/golden/*.txt
# The oid map for normalisation: oid<TAB>name.
P -c "select oid, relname from pg_catalog.pg_class where relnamespace = 2200 union all select oid, conname from pg_catalog.pg_constraint where connamespace = 2200" > "$tmp/oids"
for k in table:r sequence:S index:i relation:rSi; do
	kinds=$(echo "${k#*:}" | sed "s/./'&',/g; s/,\$//")
	P -c "select oid, relname from pg_catalog.pg_class where relnamespace = 2200 and relkind in ($kinds) order by relname" > "$tmp/${k%%:*}"
done
# Split queries.sql into one file per query: $tmp/q/NAME[.per-table].
mkdir "$tmp/q"
awk -v dir="$tmp/q" '
/^-- name: / { f = dir "/" $3 (($4 ~ /^per-/) ? "." $4 : ""); next }
/^--/ && f == "" { next }
f != "" { print > f }' testdata/queries.sql
normalise() { # normalise NAME < raw > golden
	awk -F'\t' -v OFS='\t' -v name="$1" '
	FNR == NR { oid[$1] = "<oid:" $2 ">"; next }
	{ for (i = 1; i <= NF; i++) {
		if ($i in oid) $i = oid[$i]
		if (name ~ /plus$/ && $i ~ /^-?[0-9]+ (bytes|kB|MB|GB|TB)$/) $i = "<size>"
	  } print }' "$tmp/oids" -
}
for q in "$tmp"/q/*; do
	name=$(basename "$q")
	case "$name" in
	*.per-*)
		kind=${name##*.per-}
		name=${name%.per-*}
		while IFS="$(printf '\t')" read -r oid rel; do
			sed -e "s/\\\$OID/$oid/g" -e "s/\\\$NAME/$rel/g" "$q" > "$tmp/run.sql"
			Q "$tmp/run.sql" | normalise "$name" > "testdata/golden/$name.$rel.txt"
		done < "$tmp/$kind"
		;;
	*)
		Q "$q" | normalise "$name" > "testdata/golden/$name.txt"
		;;
	esac
done
