package catalog

// goldenQueries are testdata/queries.sql hand-translated to SQLite the way
// the translator is to emit them (see doc.go, "What the translator
// emits"): schema-qualified catalog tables, catalog functions by their
// PostgreSQL names, booleans as 1/0, casts to oid alias types as
// pg_regclass_in/pg_regclass_out, ARRAY(SELECT …) as a group_concat of
// pg_array_elem, = ANY(array) as pg_array_contains, ~ as the translator's
// regular-expression function (test_regexp here), current_database() as
// the session's value. $OID and $NAME stand for a user table's oid and
// name: such a query runs once per table.
var goldenQueries = []struct{ name, sql string }{
	{"l", `SELECT d.datname AS "Name",
       pg_get_userbyid(d.datdba) AS "Owner",
       pg_encoding_to_char(d.encoding) AS "Encoding",
       d.datcollate AS "Collate",
       d.datctype AS "Ctype",
       d.daticulocale AS "ICU Locale",
       CASE d.datlocprovider WHEN 'c' THEN 'libc' WHEN 'i' THEN 'icu' END AS "Locale Provider",
       array_to_string(d.datacl, char(10)) AS "Access privileges"
FROM pg_catalog.pg_database d
WHERE d.datname = 'bench'
ORDER BY 1`},
	{"dt", `SELECT n.nspname AS "Schema", c.relname AS "Name",
  CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'i' THEN 'index' WHEN 'S' THEN 'sequence' WHEN 't' THEN 'TOAST table' WHEN 'f' THEN 'foreign table' WHEN 'p' THEN 'partitioned table' WHEN 'I' THEN 'partitioned index' END AS "Type",
  pg_get_userbyid(c.relowner) AS "Owner"
FROM pg_catalog.pg_class c
     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam
WHERE c.relkind IN ('r','p','')
      AND n.nspname <> 'pg_catalog'
      AND NOT test_regexp(n.nspname, '^pg_toast')
      AND n.nspname <> 'information_schema'
  AND pg_table_is_visible(c.oid)
ORDER BY 1,2`},
	{"d", `SELECT n.nspname AS "Schema", c.relname AS "Name",
  CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'i' THEN 'index' WHEN 'S' THEN 'sequence' WHEN 't' THEN 'TOAST table' WHEN 'f' THEN 'foreign table' WHEN 'p' THEN 'partitioned table' WHEN 'I' THEN 'partitioned index' END AS "Type",
  pg_get_userbyid(c.relowner) AS "Owner"
FROM pg_catalog.pg_class c
     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam
WHERE c.relkind IN ('r','p','v','m','S','f','')
      AND n.nspname <> 'pg_catalog'
      AND NOT test_regexp(n.nspname, '^pg_toast')
      AND n.nspname <> 'information_schema'
  AND pg_table_is_visible(c.oid)
ORDER BY 1,2`},
	{"di", `SELECT n.nspname AS "Schema", c.relname AS "Name",
  CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'i' THEN 'index' WHEN 'S' THEN 'sequence' WHEN 't' THEN 'TOAST table' WHEN 'f' THEN 'foreign table' WHEN 'p' THEN 'partitioned table' WHEN 'I' THEN 'partitioned index' END AS "Type",
  pg_get_userbyid(c.relowner) AS "Owner",
  c2.relname AS "Table"
FROM pg_catalog.pg_class c
     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam
     LEFT JOIN pg_catalog.pg_index i ON i.indexrelid = c.oid
     LEFT JOIN pg_catalog.pg_class c2 ON i.indrelid = c2.oid
WHERE c.relkind IN ('i','I','')
      AND n.nspname <> 'pg_catalog'
      AND NOT test_regexp(n.nspname, '^pg_toast')
      AND n.nspname <> 'information_schema'
  AND pg_table_is_visible(c.oid)
ORDER BY 1,2`},
	{"dplus", `SELECT n.nspname AS "Schema", c.relname AS "Name",
  CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'i' THEN 'index' WHEN 'S' THEN 'sequence' WHEN 't' THEN 'TOAST table' WHEN 'f' THEN 'foreign table' WHEN 'p' THEN 'partitioned table' WHEN 'I' THEN 'partitioned index' END AS "Type",
  pg_get_userbyid(c.relowner) AS "Owner",
  CASE c.relpersistence WHEN 'p' THEN 'permanent' WHEN 't' THEN 'temporary' WHEN 'u' THEN 'unlogged' END AS "Persistence",
  am.amname AS "Access method",
  pg_size_pretty(pg_table_size(c.oid)) AS "Size",
  obj_description(c.oid, 'pg_class') AS "Description"
FROM pg_catalog.pg_class c
     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam
WHERE c.relkind IN ('r','p','v','m','S','f','')
      AND n.nspname <> 'pg_catalog'
      AND NOT test_regexp(n.nspname, '^pg_toast')
      AND n.nspname <> 'information_schema'
  AND pg_table_is_visible(c.oid)
ORDER BY 1,2`},
	{"dn", `SELECT n.nspname AS "Name", pg_get_userbyid(n.nspowner) AS "Owner"
FROM pg_catalog.pg_namespace n
WHERE NOT test_regexp(n.nspname, '^pg_') AND n.nspname <> 'information_schema'
ORDER BY 1`},
	{"du", `SELECT r.rolname, r.rolsuper, r.rolinherit,
  r.rolcreaterole, r.rolcreatedb, r.rolcanlogin,
  r.rolconnlimit, r.rolvaliduntil,
  (SELECT '{' || coalesce(group_concat(pg_array_elem(b.rolname), ','), '') || '}'
        FROM pg_catalog.pg_auth_members m
        JOIN pg_catalog.pg_roles b ON (m.roleid = b.oid)
        WHERE m.member = r.oid) AS memberof
, r.rolreplication
, r.rolbypassrls
FROM pg_catalog.pg_roles r
WHERE NOT test_regexp(r.rolname, '^pg_')
ORDER BY 1`},
	{"df", `SELECT n.nspname AS "Schema", p.proname AS "Name",
  pg_get_function_result(p.oid) AS "Result data type",
  pg_get_function_arguments(p.oid) AS "Argument data types",
 CASE p.prokind WHEN 'a' THEN 'agg' WHEN 'w' THEN 'window' WHEN 'p' THEN 'proc' ELSE 'func' END AS "Type"
FROM pg_catalog.pg_proc p
     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
WHERE pg_function_is_visible(p.oid)
      AND n.nspname <> 'pg_catalog'
      AND n.nspname <> 'information_schema'
ORDER BY 1, 2, 4`},
	// CROSS JOIN LATERAL (SELECT expr) AS o(n): the subquery has no FROM,
	// so o.n is the expression itself.
	{"pgbench_partitions", `select array_position(current_schemas(1), n.nspname) AS n, p.partstrat, count(i.inhparent)
from pg_catalog.pg_class as c join pg_catalog.pg_namespace as n on (n.oid = c.relnamespace)
left join pg_catalog.pg_partitioned_table as p on (p.partrelid = c.oid)
left join pg_catalog.pg_inherits as i on (c.oid = i.inhparent)
where c.relname = 'pgbench_accounts' and array_position(current_schemas(1), n.nspname) is not null
group by 1, 2 order by 1 asc limit 1`},
	{"lookup", `SELECT c.oid, n.nspname, c.relname
FROM pg_catalog.pg_class c
     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE test_regexp(c.relname, '^($NAME)$')
  AND pg_table_is_visible(c.oid)
ORDER BY 2, 3`},
	{"flags", `SELECT c.relchecks, c.relkind, c.relhasindex, c.relhasrules, c.relhastriggers, c.relrowsecurity, c.relforcerowsecurity, 0 AS relhasoids, c.relispartition, '', c.reltablespace, CASE WHEN c.reloftype = 0 THEN '' ELSE pg_regtype_out(c.reloftype) END, c.relpersistence, c.relreplident, am.amname
FROM pg_catalog.pg_class c
 LEFT JOIN pg_catalog.pg_class tc ON (c.reltoastrelid = tc.oid)
LEFT JOIN pg_catalog.pg_am am ON (c.relam = am.oid)
WHERE c.oid = '$OID'`},
	// reloptions || ARRAY(SELECT 'toast.' || x FROM unnest(tc.reloptions) x):
	// no toast tables, so the array is reloptions or empty.
	{"flagsplus", `SELECT c.relchecks, c.relkind, c.relhasindex, c.relhasrules, c.relhastriggers, c.relrowsecurity, c.relforcerowsecurity, 0 AS relhasoids, c.relispartition, coalesce(array_to_string(c.reloptions, ', '), ''), c.reltablespace, CASE WHEN c.reloftype = 0 THEN '' ELSE pg_regtype_out(c.reloftype) END, c.relpersistence, c.relreplident, am.amname
FROM pg_catalog.pg_class c
 LEFT JOIN pg_catalog.pg_class tc ON (c.reltoastrelid = tc.oid)
LEFT JOIN pg_catalog.pg_am am ON (c.relam = am.oid)
WHERE c.oid = '$OID'`},
	{"columns", `SELECT a.attname,
  format_type(a.atttypid, a.atttypmod),
  (SELECT pg_get_expr(d.adbin, d.adrelid, 1)
   FROM pg_catalog.pg_attrdef d
   WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum AND a.atthasdef),
  a.attnotnull,
  (SELECT c.collname FROM pg_catalog.pg_collation c, pg_catalog.pg_type t
   WHERE c.oid = a.attcollation AND t.oid = a.atttypid AND a.attcollation <> t.typcollation) AS attcollation,
  a.attidentity,
  a.attgenerated
FROM pg_catalog.pg_attribute a
WHERE a.attrelid = '$OID' AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum`},
	{"columnsplus", `SELECT a.attname,
  format_type(a.atttypid, a.atttypmod),
  (SELECT pg_get_expr(d.adbin, d.adrelid, 1)
   FROM pg_catalog.pg_attrdef d
   WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum AND a.atthasdef),
  a.attnotnull,
  (SELECT c.collname FROM pg_catalog.pg_collation c, pg_catalog.pg_type t
   WHERE c.oid = a.attcollation AND t.oid = a.atttypid AND a.attcollation <> t.typcollation) AS attcollation,
  a.attidentity,
  a.attgenerated,
  a.attstorage,
  a.attcompression AS attcompression,
  CASE WHEN a.attstattarget=-1 THEN NULL ELSE a.attstattarget END AS attstattarget,
  col_description(a.attrelid, a.attnum)
FROM pg_catalog.pg_attribute a
WHERE a.attrelid = '$OID' AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum`},
	{"indexes", `SELECT c2.relname, i.indisprimary, i.indisunique, i.indisclustered, i.indisvalid, pg_get_indexdef(i.indexrelid, 0, 1),
  pg_get_constraintdef(con.oid, 1), contype, condeferrable, condeferred, i.indisreplident, c2.reltablespace
FROM pg_catalog.pg_class c, pg_catalog.pg_class c2, pg_catalog.pg_index i
  LEFT JOIN pg_catalog.pg_constraint con ON (conrelid = i.indrelid AND conindid = i.indexrelid AND contype IN ('p','u','x'))
WHERE c.oid = '$OID' AND c.oid = i.indrelid AND i.indexrelid = c2.oid
ORDER BY i.indisprimary DESC, c2.relname`},
	{"checks", `SELECT r.conname, pg_get_constraintdef(r.oid, 1)
FROM pg_catalog.pg_constraint r
WHERE r.conrelid = '$OID' AND r.contype = 'c'
ORDER BY 1`},
	{"fkeys", `SELECT 1 AS sametable, conname,
  pg_get_constraintdef(r.oid, 1) AS condef,
  pg_regclass_out(conrelid) AS ontable
FROM pg_catalog.pg_constraint r
WHERE r.conrelid = '$OID' AND r.contype = 'f'
     AND conparentid = 0
ORDER BY conname`},
	// confrelid IN (SELECT pg_partition_ancestors(X) UNION ALL VALUES
	// (X::regclass)): no partitions, so X alone.
	{"referenced", `SELECT conname, pg_regclass_out(conrelid) AS ontable,
       pg_get_constraintdef(oid, 1) AS condef
  FROM pg_catalog.pg_constraint c
 WHERE confrelid IN (pg_regclass_in('$OID'))
       AND contype = 'f' AND conparentid = 0
ORDER BY conname`},
	{"policies", `SELECT pol.polname, pol.polpermissive,
  CASE WHEN pol.polroles = '{0}' THEN NULL ELSE array_to_string((SELECT '{' || coalesce(group_concat(pg_array_elem(rolname), ','), '') || '}' FROM (SELECT rolname FROM pg_catalog.pg_roles WHERE pg_array_contains(pol.polroles, oid) ORDER BY 1)), ',') END,
  pg_get_expr(pol.polqual, pol.polrelid),
  pg_get_expr(pol.polwithcheck, pol.polrelid),
  CASE pol.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE' WHEN 'd' THEN 'DELETE' END AS cmd
FROM pg_catalog.pg_policy pol
WHERE pol.polrelid = '$OID' ORDER BY 1`},
	{"statext", `SELECT oid, pg_regclass_out(stxrelid), pg_regnamespace_out(stxnamespace) AS nsp, stxname,
pg_get_statisticsobjdef_columns(oid) AS columns,
  pg_array_contains(stxkind, 'd') AS ndist_enabled,
  pg_array_contains(stxkind, 'f') AS deps_enabled,
  pg_array_contains(stxkind, 'm') AS mcv_enabled,
stxstattarget
FROM pg_catalog.pg_statistic_ext
WHERE stxrelid = '$OID'
ORDER BY nsp, stxname`},
	{"publications", `SELECT pubname, NULL, NULL
FROM pg_catalog.pg_publication p
     JOIN pg_catalog.pg_publication_namespace pn ON p.oid = pn.pnpubid
     JOIN pg_catalog.pg_class pc ON pc.relnamespace = pn.pnnspid
WHERE pc.oid ='$OID' and pg_relation_is_publishable('$OID')
UNION
SELECT pubname
     , pg_get_expr(pr.prqual, c.oid)
     , (CASE WHEN pr.prattrs IS NOT NULL THEN
         (SELECT group_concat(attname, ', ') FROM pg_catalog.pg_attribute
          WHERE attrelid = pr.prrelid AND pg_array_contains(pr.prattrs, attnum))
        ELSE NULL END) FROM pg_catalog.pg_publication p
     JOIN pg_catalog.pg_publication_rel pr ON p.oid = pr.prpubid
     JOIN pg_catalog.pg_class c ON c.oid = pr.prrelid
WHERE pr.prrelid = '$OID'
UNION
SELECT pubname, NULL, NULL
FROM pg_catalog.pg_publication p
WHERE p.puballtables AND pg_relation_is_publishable('$OID')
ORDER BY 1`},
	{"triggers", `SELECT t.tgname, pg_get_triggerdef(t.oid, 1), t.tgenabled, t.tgisinternal,
  CASE WHEN t.tgparentid != 0 THEN NULL END AS parent
FROM pg_catalog.pg_trigger t
WHERE t.tgrelid = '$OID' AND (NOT t.tgisinternal OR (t.tgisinternal AND t.tgenabled = 'D'))
ORDER BY 1`},
	{"inherits_parent", `SELECT pg_regclass_out(c.oid)
FROM pg_catalog.pg_class c, pg_catalog.pg_inherits i
WHERE c.oid = i.inhparent AND i.inhrelid = '$OID'
  AND c.relkind != 'p' AND c.relkind != 'I'
ORDER BY inhseqno`},
	{"inherits_child", `SELECT pg_regclass_out(c.oid), c.relkind, inhdetachpending, pg_get_expr(c.relpartbound, c.oid)
FROM pg_catalog.pg_class c, pg_catalog.pg_inherits i
WHERE c.oid = i.inhrelid AND i.inhparent = '$OID'
ORDER BY pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT', pg_regclass_out(c.oid)`},
	{"raw_class", `SELECT c.relname, c.relkind, c.relnamespace, c.relowner, c.relam, c.relhasindex, c.relpersistence, c.relnatts, c.relchecks, c.relispartition, c.relreplident, c.reloptions, c.relacl
FROM pg_catalog.pg_class c WHERE c.relnamespace = 2200 ORDER BY 1`},
	{"raw_attribute", `SELECT c.relname, a.attname, a.atttypid, a.attlen, a.attnum, a.atttypmod, a.attndims, a.attbyval, a.attalign, a.attstorage, a.attcompression, a.attnotnull, a.atthasdef, a.atthasmissing, a.attidentity, a.attgenerated, a.attisdropped, a.attislocal, a.attinhcount, a.attcollation, a.attstattarget
FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
WHERE c.relnamespace = 2200 AND a.attnum > 0 ORDER BY 1, a.attnum`},
	{"raw_attrdef", `SELECT c.relname, d.adnum, pg_get_expr(d.adbin, d.adrelid)
FROM pg_catalog.pg_attrdef d JOIN pg_catalog.pg_class c ON c.oid = d.adrelid ORDER BY 1, 2`},
	{"raw_index", `SELECT c.relname, t.relname, i.indnatts, i.indnkeyatts, i.indisunique, i.indnullsnotdistinct, i.indisprimary, i.indisexclusion, i.indimmediate, i.indisclustered, i.indisvalid, i.indcheckxmin, i.indisready, i.indislive, i.indisreplident, i.indkey, i.indcollation, i.indclass, i.indoption, i.indexprs, i.indpred, pg_get_indexdef(i.indexrelid), pg_get_indexdef(i.indexrelid, 1, 1)
FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid JOIN pg_catalog.pg_class t ON t.oid = i.indrelid
WHERE t.relnamespace = 2200 ORDER BY 1`},
	{"raw_constraint", `SELECT c.conname, c.connamespace, c.contype, c.condeferrable, c.condeferred, c.convalidated, pg_regclass_out(c.conrelid), c.contypid, pg_regclass_out(c.conindid), c.conparentid, pg_regclass_out(c.confrelid), c.confupdtype, c.confdeltype, c.confmatchtype, c.conislocal, c.coninhcount, c.connoinherit, c.conkey, c.confkey, pg_get_constraintdef(c.oid), pg_get_constraintdef(c.oid, 1)
FROM pg_catalog.pg_constraint c WHERE c.connamespace = 2200 ORDER BY 1`},
	{"raw_sequence", `SELECT c.relname, s.seqtypid, s.seqstart, s.seqincrement, s.seqmax, s.seqmin, s.seqcache, s.seqcycle
FROM pg_catalog.pg_sequence s JOIN pg_catalog.pg_class c ON c.oid = s.seqrelid ORDER BY 1`},
	{"raw_description", `SELECT c.relname, d.objsubid, d.description, pg_regclass_out(d.classoid)
FROM pg_catalog.pg_description d JOIN pg_catalog.pg_class c ON c.oid = d.objoid ORDER BY 1, 2`},
	{"raw_database", `SELECT datname, datdba, encoding, datlocprovider, datistemplate, datallowconn, datconnlimit, datcollate, datctype, daticulocale, datcollversion, datacl
FROM pg_catalog.pg_database WHERE datname = 'bench'`},
	{"raw_roles", `SELECT rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication, rolconnlimit, rolpassword, rolvaliduntil, rolbypassrls, rolconfig
FROM pg_catalog.pg_roles WHERE NOT test_regexp(rolname, '^pg_') ORDER BY 1`},
	{"raw_user", `SELECT usename, usecreatedb, usesuper, userepl, usebypassrls, passwd, valuntil, useconfig
FROM pg_catalog.pg_user ORDER BY 1`},
	{"format_type", `SELECT t.typname, format_type(t.oid, NULL), format_type(t.oid, -1)
FROM pg_catalog.pg_type t WHERE t.typnamespace = 11 AND t.typname IN ('bool','bytea','char','name','int8','int2','int4','text','oid','json','float4','float8','unknown','bpchar','varchar','date','time','timestamp','timestamptz','interval','numeric','uuid','jsonb','regclass','regproc','regtype','void','record','_int4','_text','_varchar','_bpchar','_numeric','_timestamptz','timetz','bit','varbit','_bool','_oid','_name','cstring','any','anyarray','inet')
ORDER BY 1`},
	{"format_typmod", `SELECT format_type(1043, 44), format_type(1042, 7), format_type(1700, 655366), format_type(1700, 1310728), format_type(1114, 3), format_type(1184, 0), format_type(1083, 6), format_type(1015, 44), format_type(1231, 655366), format_type(1560, 5), format_type(1562, 5), format_type(1186, -1), format_type(1266, 2), format_type(1014, 7), format_type(1115, 3), format_type(0, -1), format_type(999999, -1), format_type(NULL, -1)`},
	{"is_columns", `SELECT table_catalog, table_schema, table_name, column_name, ordinal_position, column_default, is_nullable, data_type, character_maximum_length, character_octet_length, numeric_precision, numeric_precision_radix, numeric_scale, datetime_precision, interval_type, interval_precision, udt_catalog, udt_schema, udt_name, dtd_identifier, is_self_referencing, is_identity, identity_generation, identity_start, identity_increment, identity_maximum, identity_minimum, identity_cycle, is_generated, generation_expression, is_updatable
FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`},
	{"is_tables", `SELECT table_catalog, table_schema, table_name, table_type, self_referencing_column_name, reference_generation, user_defined_type_catalog, user_defined_type_schema, user_defined_type_name, is_insertable_into, is_typed, commit_action
FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`},
	{"is_table_constraints", `SELECT constraint_catalog, constraint_schema, constraint_name, table_catalog, table_schema, table_name, constraint_type, is_deferrable, initially_deferred, enforced, nulls_distinct
FROM information_schema.table_constraints WHERE table_schema = 'public' ORDER BY table_name, constraint_name`},
	{"is_key_column_usage", `SELECT constraint_catalog, constraint_schema, constraint_name, table_catalog, table_schema, table_name, column_name, ordinal_position, position_in_unique_constraint
FROM information_schema.key_column_usage WHERE table_schema = 'public' ORDER BY table_name, constraint_name, ordinal_position`},
	{"is_referential_constraints", `SELECT constraint_catalog, constraint_schema, constraint_name, unique_constraint_catalog, unique_constraint_schema, unique_constraint_name, match_option, update_rule, delete_rule
FROM information_schema.referential_constraints WHERE constraint_schema = 'public' ORDER BY constraint_name`},
	{"is_schemata", `SELECT catalog_name, schema_name, schema_owner, default_character_set_catalog, default_character_set_schema, default_character_set_name, sql_path
FROM information_schema.schemata ORDER BY schema_name`},
	{"is_sequences", `SELECT sequence_catalog, sequence_schema, sequence_name, data_type, numeric_precision, numeric_precision_radix, numeric_scale, start_value, minimum_value, maximum_value, increment, cycle_option
FROM information_schema.sequences ORDER BY sequence_name`},
	{"functions", `SELECT pg_encoding_to_char(6), pg_encoding_to_char(0), pg_size_pretty(0), pg_size_pretty(8192), pg_size_pretty(10239), pg_size_pretty(10240), pg_size_pretty(1234567), pg_size_pretty(123456789012), pg_size_pretty(-20000), quote_ident('abc'), quote_ident('Abc'), quote_ident('a b'), quote_ident('select'), quote_ident('a"b'), array_to_string('{a,b,NULL}', ','), array_to_string('{a,b,NULL}', ',', '*'), array_position(current_schemas(1), 'public'), array_position(current_schemas(0), 'pg_catalog'), current_schemas(1), current_schemas(0), array_upper('{1,2,3}', 1), array_length('{1,2,3}', 1), array_lower('{1,2,3}', 1), array_upper('{}', 1), pg_get_userbyid(10), pg_get_userbyid(6171), pg_get_userbyid(12345), pg_is_other_temp_schema(2200), pg_my_temp_schema(), has_table_privilege('pgbench_accounts', 'SELECT'), has_schema_privilege('public', 'USAGE')`},
	{"seq_params", `SELECT format_type(seqtypid, NULL) AS "Type", seqstart AS "Start", seqmin AS "Minimum", seqmax AS "Maximum",
       seqincrement AS "Increment", CASE WHEN seqcycle THEN 'yes' ELSE 'no' END AS "Cycles?", seqcache AS "Cache"
FROM pg_catalog.pg_sequence
WHERE seqrelid = '$OID'`},
	{"seq_owner", `SELECT quote_ident(nspname) || '.' || quote_ident(relname) || '.' || quote_ident(attname), d.deptype
FROM pg_catalog.pg_class c
INNER JOIN pg_catalog.pg_depend d ON c.oid=d.refobjid
INNER JOIN pg_catalog.pg_namespace n ON n.oid=c.relnamespace
INNER JOIN pg_catalog.pg_attribute a ON (a.attrelid=c.oid AND a.attnum=d.refobjsubid)
WHERE d.classid=pg_regclass_in('pg_catalog.pg_class')
 AND d.refclassid=pg_regclass_in('pg_catalog.pg_class')
 AND d.objid='$OID'
 AND d.deptype IN ('a', 'i')`},
	{"index_columns", `SELECT a.attname, format_type(a.atttypid, a.atttypmod),
  CASE WHEN a.attnum <= (SELECT i.indnkeyatts FROM pg_catalog.pg_index i WHERE i.indexrelid = '$OID') THEN 'yes' ELSE 'no' END AS is_key,
  pg_get_indexdef(a.attrelid, a.attnum, 1) AS indexdef
FROM pg_catalog.pg_attribute a
WHERE a.attrelid = '$OID' AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum`},
	{"index_flags", `SELECT i.indisunique, i.indisprimary, i.indisclustered, i.indisvalid,
  (NOT i.indimmediate) AND EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = i.indrelid AND conindid = i.indexrelid AND contype IN ('p','u','x') AND condeferrable) AS condeferrable,
  (NOT i.indimmediate) AND EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = i.indrelid AND conindid = i.indexrelid AND contype IN ('p','u','x') AND condeferred) AS condeferred,
i.indisreplident, i.indnullsnotdistinct, a.amname, c2.relname, pg_get_expr(i.indpred, i.indrelid, 1)
FROM pg_catalog.pg_index i, pg_catalog.pg_class c, pg_catalog.pg_class c2, pg_catalog.pg_am a
WHERE i.indexrelid = c.oid AND c.oid = '$OID' AND c.relam = a.oid
AND i.indrelid = c2.oid`},
	{"lookup_any", `SELECT c.oid, n.nspname, c.relname
FROM pg_catalog.pg_class c
     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE test_regexp(c.relname, '^($NAME)$')
  AND pg_table_is_visible(c.oid)
ORDER BY 2, 3`},
	{"flags_any", `SELECT c.relchecks, c.relkind, c.relhasindex, c.relhasrules, c.relhastriggers, c.relrowsecurity, c.relforcerowsecurity, 0 AS relhasoids, c.relispartition, '', c.reltablespace, CASE WHEN c.reloftype = 0 THEN '' ELSE pg_regtype_out(c.reloftype) END, c.relpersistence, c.relreplident, am.amname
FROM pg_catalog.pg_class c
 LEFT JOIN pg_catalog.pg_class tc ON (c.reltoastrelid = tc.oid)
LEFT JOIN pg_catalog.pg_am am ON (c.relam = am.oid)
WHERE c.oid = '$OID'`},
	{"columns_any", `SELECT a.attname,
  format_type(a.atttypid, a.atttypmod),
  (SELECT pg_get_expr(d.adbin, d.adrelid, 1)
   FROM pg_catalog.pg_attrdef d
   WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum AND a.atthasdef),
  a.attnotnull,
  (SELECT c.collname FROM pg_catalog.pg_collation c, pg_catalog.pg_type t
   WHERE c.oid = a.attcollation AND t.oid = a.atttypid AND a.attcollation <> t.typcollation) AS attcollation,
  a.attidentity,
  a.attgenerated
FROM pg_catalog.pg_attribute a
WHERE a.attrelid = '$OID' AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum`},
	{"pgx_class_count", `SELECT count(*) FROM pg_catalog.pg_class WHERE relname = 'pg_class' OR oid = '1259'`},
	{"lplus", `SELECT d.datname AS "Name", pg_get_userbyid(d.datdba) AS "Owner", pg_encoding_to_char(d.encoding) AS "Encoding",
       d.datcollate AS "Collate", d.datctype AS "Ctype", d.daticulocale AS "ICU Locale",
       CASE d.datlocprovider WHEN 'c' THEN 'libc' WHEN 'i' THEN 'icu' END AS "Locale Provider",
       array_to_string(d.datacl, char(10)) AS "Access privileges",
       CASE WHEN has_database_privilege(d.datname, 'CONNECT')
            THEN pg_size_pretty(pg_database_size(d.datname))
            ELSE 'No Access'
       END AS "Size",
       t.spcname AS "Tablespace",
       shobj_description(d.oid, 'pg_database') AS "Description"
FROM pg_catalog.pg_database d
  JOIN pg_catalog.pg_tablespace t ON d.dattablespace = t.oid
WHERE d.datname = 'bench'
ORDER BY 1`},
	{"dnplus", `SELECT n.nspname AS "Name", pg_get_userbyid(n.nspowner) AS "Owner",
  array_to_string(n.nspacl, char(10)) AS "Access privileges",
  obj_description(n.oid, 'pg_namespace') AS "Description"
FROM pg_catalog.pg_namespace n
WHERE NOT test_regexp(n.nspname, '^pg_') AND n.nspname <> 'information_schema'
ORDER BY 1`},
	{"dtplus", `SELECT n.nspname AS "Schema", c.relname AS "Name",
  CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'i' THEN 'index' WHEN 'S' THEN 'sequence' WHEN 't' THEN 'TOAST table' WHEN 'f' THEN 'foreign table' WHEN 'p' THEN 'partitioned table' WHEN 'I' THEN 'partitioned index' END AS "Type",
  pg_get_userbyid(c.relowner) AS "Owner",
  CASE c.relpersistence WHEN 'p' THEN 'permanent' WHEN 't' THEN 'temporary' WHEN 'u' THEN 'unlogged' END AS "Persistence",
  am.amname AS "Access method",
  pg_size_pretty(pg_table_size(c.oid)) AS "Size",
  obj_description(c.oid, 'pg_class') AS "Description"
FROM pg_catalog.pg_class c
     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam
WHERE c.relkind IN ('r','p','')
      AND n.nspname <> 'pg_catalog'
      AND NOT test_regexp(n.nspname, '^pg_toast')
      AND n.nspname <> 'information_schema'
  AND pg_table_is_visible(c.oid)
ORDER BY 1,2`},
	{"diplus", `SELECT n.nspname AS "Schema", c.relname AS "Name",
  CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'i' THEN 'index' WHEN 'S' THEN 'sequence' WHEN 't' THEN 'TOAST table' WHEN 'f' THEN 'foreign table' WHEN 'p' THEN 'partitioned table' WHEN 'I' THEN 'partitioned index' END AS "Type",
  pg_get_userbyid(c.relowner) AS "Owner",
  c2.relname AS "Table",
  CASE c.relpersistence WHEN 'p' THEN 'permanent' WHEN 't' THEN 'temporary' WHEN 'u' THEN 'unlogged' END AS "Persistence",
  am.amname AS "Access method",
  pg_size_pretty(pg_table_size(c.oid)) AS "Size",
  obj_description(c.oid, 'pg_class') AS "Description"
FROM pg_catalog.pg_class c
     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam
     LEFT JOIN pg_catalog.pg_index i ON i.indexrelid = c.oid
     LEFT JOIN pg_catalog.pg_class c2 ON i.indrelid = c2.oid
WHERE c.relkind IN ('i','I','')
      AND n.nspname <> 'pg_catalog'
      AND NOT test_regexp(n.nspname, '^pg_toast')
      AND n.nspname <> 'information_schema'
  AND pg_table_is_visible(c.oid)
ORDER BY 1,2`},
	{"duplus", `SELECT r.rolname, r.rolsuper, r.rolinherit, r.rolcreaterole, r.rolcreatedb, r.rolcanlogin,
  r.rolconnlimit, r.rolvaliduntil,
  (SELECT '{' || coalesce(group_concat(pg_array_elem(b.rolname), ','), '') || '}'
        FROM pg_catalog.pg_auth_members m
        JOIN pg_catalog.pg_roles b ON (m.roleid = b.oid)
        WHERE m.member = r.oid) AS memberof
, shobj_description(r.oid, 'pg_authid') AS description
, r.rolreplication
, r.rolbypassrls
FROM pg_catalog.pg_roles r
WHERE NOT test_regexp(r.rolname, '^pg_')
ORDER BY 1`},
	{"dx", `SELECT e.extname AS "Name", e.extversion AS "Version", n.nspname AS "Schema", c.description AS "Description"
FROM pg_catalog.pg_extension e LEFT JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace LEFT JOIN pg_catalog.pg_description c ON c.objoid = e.oid AND c.classoid = pg_regclass_in('pg_catalog.pg_extension')
ORDER BY 1`},
}
