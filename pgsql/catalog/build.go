package catalog

import (
	"hash/fnv"
	"sort"
	"strconv"
	"strings"
)

// Well-known oids of PostgreSQL 15.
const (
	nsPgCatalog         = 11
	nsToast             = 99
	nsPublic            = 2200
	nsInformationSchema = 13207
	roleBootstrap       = 10
	roleDatabaseOwner   = 6171
	amHeap              = 2
	amBtree             = 403
	classPgClass        = 1259 // pg_class's own oid: pg_description.classoid
	classPgNamespace    = 2615
	classPgConstraint   = 2606
	classPgDatabase     = 1262
	classPgExtension    = 3079
	classPgProc         = 1255
	classPgType         = 1247
	extPlpgsql          = 13559 // plpgsql's pg_extension oid, as recorded
	databaseOID         = 5
	tablespaceDefault   = 1663
	// derivedBase is where derived oids (indexes, constraints, sequences,
	// defaults without an oid of their own) start: far above the oids
	// the storage layer gives tables (16384 + 2*rowid).
	derivedBase = 1 << 30
)

// built is a Snapshot resolved into catalog rows, and the lookups the SQL
// functions need. It is immutable once built.
type built struct {
	snap  *Snapshot
	db    string
	owner string

	rows map[*Relation][][]any // dynamic rows by relation

	roles     map[uint32]string // oid → rolname
	relNames  map[uint32]string // user relation oid → name
	relOIDs   map[string]uint32 // user relation name → oid
	relKind   map[uint32]byte
	indexDefs map[uint32]indexDef
	conDefs   map[uint32][2]string // constraint oid → {plain, pretty}
	comments  map[descKey]string
	sizes     map[uint32]int64 // relation oid → bytes
	idxSizes  map[uint32]int64 // table oid → bytes of its indexes

	scripts map[string]string // by schema: the SQL that refills it
}

type descKey struct {
	objoid, classoid uint32
	subid            int32
}

type indexDef struct {
	plain, pretty string
	columns       []string
}

// The tables Fill refills, and the DELETE that empties each. A relation
// not listed here holds only fixed rows written by Attach.
var dynamic = []struct{ rel, where string }{
	{"pg_catalog.pg_namespace", ""},
	{"pg_catalog.pg_class", "oid >= 16384"},
	{"pg_catalog.pg_attribute", "attrelid >= 16384"},
	{"pg_catalog.pg_attrdef", ""},
	{"pg_catalog.pg_index", ""},
	{"pg_catalog.pg_constraint", ""},
	{"pg_catalog.pg_sequence", ""},
	{"pg_catalog.pg_depend", ""},
	{"pg_catalog.pg_description", ""},
	{"pg_catalog.pg_database", ""},
	{"pg_catalog.pg_authid", ""},
	{"pg_catalog.pg_roles", ""},
	{"pg_catalog.pg_user", ""},
	{"pg_catalog.pg_tables", ""},
	{"pg_catalog.pg_indexes", ""},
	{"pg_catalog.pg_sequences", ""},
	{"pg_catalog.pg_stat_user_tables", ""},
	{"pg_catalog.pg_stat_all_tables", ""},
	{"pg_catalog.pg_statio_user_tables", ""},
	{"information_schema.schemata", ""},
	{"information_schema.tables", ""},
	{"information_schema.columns", ""},
	{"information_schema.table_constraints", ""},
	{"information_schema.key_column_usage", ""},
	{"information_schema.referential_constraints", ""},
	{"information_schema.constraint_column_usage", ""},
	{"information_schema.check_constraints", ""},
	{"information_schema.sequences", ""},
}

// rowBuilder makes rows of one relation: every column starts at its
// zero (0 for integers and booleans, NULL for the rest, ” for names and
// "char") and set overrides by column name.
type rowBuilder struct {
	rel   *Relation
	index map[string]int
	zero  []any
}

var builders = map[*Relation]*rowBuilder{}

// initBuilders runs from relations.go's init, once the relations are
// loaded (init functions run in file-name order).
func initBuilders() {
	for _, r := range relations {
		b := &rowBuilder{rel: r, index: map[string]int{}, zero: make([]any, len(r.Columns))}
		for i, c := range r.Columns {
			b.index[c.Name] = i
			switch {
			case r.Schema == "information_schema":
				// NULL: its columns are nullable domains.
			case c.SQLite == "INTEGER" || c.SQLite == "REAL":
				b.zero[i] = int64(0)
			case c.TypeOID == OIDName || c.TypeOID == OIDChar:
				b.zero[i] = ""
			}
			if v, ok := typicalValues[r.Name][c.Name]; ok {
				b.zero[i] = normValue(v)
			}
		}
		builders[r] = b
	}
}

func builder(qualified string) *rowBuilder {
	r := relByName[qualified]
	if r == nil {
		panic("catalog: no relation " + qualified)
	}
	return builders[r]
}

// typicalValues are column defaults other than the zero: the value most
// rows have. They are the columns' DEFAULT in SQLite, and INSERTs leave
// out a column no row sets to anything else, so they make Fill's SQL
// shorter (parsing it is most of Fill's cost).
var typicalValues = map[string]map[string]any{
	"pg_attribute": {"attlen": 4, "atttypmod": -1, "attbyval": true, "attalign": "i", "attstorage": "p",
		"attislocal": true, "attstattarget": -1},
	"pg_class": {"relnamespace": nsPublic, "relowner": roleBootstrap, "relpersistence": "p", "relispopulated": true,
		"relreplident": "d", "reltuples": -1},
	"columns": {"table_schema": "public", "udt_schema": "pg_catalog", "is_self_referencing": "NO", "is_identity": "NO",
		"identity_cycle": "NO", "is_generated": "NEVER", "is_updatable": "YES"},
	"table_constraints": {"constraint_schema": "public", "table_schema": "public", "is_deferrable": "NO",
		"initially_deferred": "NO", "enforced": "YES"},
	"key_column_usage":        {"constraint_schema": "public", "table_schema": "public"},
	"constraint_column_usage": {"constraint_schema": "public", "table_schema": "public"},
	"pg_constraint": {"connamespace": nsPublic, "convalidated": true, "confupdtype": " ", "confdeltype": " ",
		"confmatchtype": " ", "conislocal": true},
	"pg_index": {"indisvalid": true, "indisready": true, "indislive": true, "indimmediate": true, "indnatts": 1, "indnkeyatts": 1},
}

// row returns a new row; kv alternates column names and values.
func (b *rowBuilder) row(kv ...any) []any {
	r := make([]any, len(b.zero))
	copy(r, b.zero)
	for i := 0; i+1 < len(kv); i += 2 {
		j, ok := b.index[kv[i].(string)]
		if !ok {
			panic("catalog: " + b.rel.Name + " has no column " + kv[i].(string))
		}
		r[j] = normValue(kv[i+1])
	}
	return r
}

func normValue(v any) any {
	switch x := v.(type) {
	case bool:
		if x {
			return int64(1)
		}
		return int64(0)
	case int:
		return int64(x)
	case int32:
		return int64(x)
	case int16:
		return int64(x)
	case uint32:
		return int64(x)
	case byte:
		if x == 0 {
			return ""
		}
		return string(rune(x))
	}
	return v
}

// tableInfo is a user table resolved: attnums, its sequences and
// constraints with oids.
type tableInfo struct {
	t       *Table
	attnum  map[string]int
	types   []colType
	indexes []*indexInfo
	pkey    *indexInfo
}

type colType struct {
	oid    uint32
	typmod int32
	serial bool
	info   *typeInfo
}

type indexInfo struct {
	ix                   *Index
	name                 string
	oid                  uint32
	conOID               uint32 // the constraint's oid when ix.Constraint
	table                *tableInfo
	attnums              []int
	unique               bool
	primary              bool
	isConstr             bool
	deferrable, deferred bool
}

type seqInfo struct {
	name       string
	oid        uint32
	typ        uint32
	start, inc int64
	min, max   int64
	cycle      bool
	ownerTable *tableInfo
	ownerCol   int
	identity   bool
}

// build resolves a snapshot. It never fails: what it cannot resolve (a
// foreign key to a table it does not know, an unknown type) is reported
// as PostgreSQL would report something close (confrelid 0, type text).
func build(s *Snapshot) *built {
	b := &built{
		snap: s, db: s.Database,
		rows:      map[*Relation][][]any{},
		roles:     map[uint32]string{roleDatabaseOwner: "pg_database_owner"},
		relNames:  map[uint32]string{},
		relOIDs:   map[string]uint32{},
		relKind:   map[uint32]byte{},
		indexDefs: map[uint32]indexDef{},
		conDefs:   map[uint32][2]string{},
		comments:  map[descKey]string{},
		sizes:     map[uint32]int64{},
		idxSizes:  map[uint32]int64{},
	}
	if b.db == "" {
		b.db = "postgres"
	}
	users := s.Users
	if len(users) == 0 {
		users = []string{"postgres"}
	}
	b.owner = users[0]
	used := map[uint32]bool{}
	derive := func(kind, table, name string) uint32 {
		h := fnv.New64a()
		h.Write([]byte(b.db + "\x00" + kind + "\x00" + table + "\x00" + name))
		o := uint32(derivedBase + h.Sum64()%derivedBase)
		for used[o] {
			o++
			if o >= 2*derivedBase {
				o = derivedBase
			}
		}
		used[o] = true
		return o
	}
	roleOIDs := make([]uint32, len(users))
	for i, u := range users {
		if i == 0 {
			roleOIDs[i] = roleBootstrap
		} else {
			roleOIDs[i] = derive("role", "", u)
		}
		b.roles[roleOIDs[i]] = u
	}

	// Tables in name order, so that derived oids do not depend on the
	// order the caller listed them in.
	tables := make([]*tableInfo, 0, len(s.Tables))
	byName := map[string]*tableInfo{}
	for i := range s.Tables {
		t := &s.Tables[i]
		ti := &tableInfo{t: t, attnum: map[string]int{}}
		for j, c := range t.Columns {
			ti.attnum[c.Name] = j + 1
			var ct colType
			if c.TypeOID != 0 {
				ct.oid, ct.typmod = c.TypeOID, c.TypeMod
				_, _, ct.serial, _ = ParseType(c.Type)
			} else {
				ct.oid, ct.typmod, ct.serial, _ = ParseType(c.Type)
			}
			ct.serial = ct.serial || c.Serial
			ct.info = typesByOID[ct.oid]
			if ct.info == nil {
				ct.oid, ct.typmod, ct.info = OIDText, -1, typesByOID[OIDText]
			}
			ti.types = append(ti.types, ct)
		}
		tables = append(tables, ti)
		byName[t.Name] = ti
		used[t.OID] = true
		b.relNames[t.OID] = t.Name
		b.relOIDs[t.Name] = t.OID
		b.relKind[t.OID] = 'r'
		b.sizes[t.OID] = t.Size
	}
	sort.Slice(tables, func(i, j int) bool { return tables[i].t.Name < tables[j].t.Name })

	// Indexes (and the PRIMARY KEY and UNIQUE constraints they carry).
	for _, ti := range tables {
		t := ti.t
		addIndex := func(ix *Index, deferrable, deferred bool) {
			ii := &indexInfo{ix: ix, name: ix.Name, table: ti, unique: ix.Unique || ix.Primary, primary: ix.Primary,
				isConstr: ix.Constraint || ix.Primary, deferrable: deferrable, deferred: deferred}
			for _, c := range ix.Columns {
				ii.attnums = append(ii.attnums, ti.attnum[c])
			}
			if ii.name == "" || strings.HasPrefix(ii.name, "sqlite_autoindex_") {
				switch {
				case ii.primary:
					ii.name = t.Name + "_pkey"
				case ii.unique:
					ii.name = t.Name + "_" + strings.Join(ix.Columns, "_") + "_key"
				default:
					ii.name = t.Name + "_" + strings.Join(ix.Columns, "_") + "_idx"
				}
			}
			ti.indexes = append(ti.indexes, ii)
			if ii.primary {
				ti.pkey = ii
			}
		}
		for i := range t.Indexes {
			addIndex(&t.Indexes[i], false, false)
		}
		for i := range t.Constraints {
			c := &t.Constraints[i]
			if c.Type == 'p' || c.Type == 'u' {
				dup := false
				for _, ii := range ti.indexes {
					dup = dup || ii.primary && c.Type == 'p' || ii.isConstr && sameStrings(ii.ix.Columns, c.Columns)
				}
				if !dup {
					addIndex(&Index{Name: c.Name, Columns: c.Columns, Unique: true, Primary: c.Type == 'p', Constraint: true}, c.Deferrable, c.Deferred)
				}
			}
		}
		sort.SliceStable(ti.indexes, func(i, j int) bool { return ti.indexes[i].name < ti.indexes[j].name })
		for _, ii := range ti.indexes {
			if ii.ix.OID != 0 {
				ii.oid = ii.ix.OID
				used[ii.oid] = true
			} else {
				ii.oid = derive("index", t.Name, ii.name)
			}
			if ii.isConstr {
				ii.conOID = derive("constraint", t.Name, ii.name)
			}
			b.relNames[ii.oid] = ii.name
			b.relOIDs[ii.name] = ii.oid
			b.relKind[ii.oid] = 'i'
			b.sizes[ii.oid] = ii.ix.Size
			b.idxSizes[t.OID] += ii.ix.Size
		}
	}

	// Sequences: serial and identity columns, then stand-alone ones.
	var seqs []*seqInfo
	for _, ti := range tables {
		for j, c := range ti.t.Columns {
			ct := ti.types[j]
			if !ct.serial && c.Identity == 0 {
				continue
			}
			sq := &seqInfo{name: ti.t.Name + "_" + c.Name + "_seq", typ: ct.oid, start: 1, inc: 1, min: 1,
				ownerTable: ti, ownerCol: j + 1, identity: c.Identity != 0}
			sq.max = intMax(ct.oid)
			sq.oid = derive("sequence", "", sq.name)
			seqs = append(seqs, sq)
		}
	}
	derived := map[string]bool{}
	for _, sq := range seqs {
		derived[sq.name] = true
	}
	for i := range s.Sequences {
		q := &s.Sequences[i]
		if derived[q.Name] {
			continue // a serial column's sequence, already there
		}
		typ, _, _, _ := ParseType(q.Type)
		if q.Type == "" || (typ != OIDInt2 && typ != OIDInt4) {
			typ = OIDInt8
		}
		sq := &seqInfo{name: q.Name, typ: typ, start: q.Start, inc: q.Increment, min: q.Min, max: q.Max, cycle: q.Cycle, oid: q.OID}
		if sq.inc == 0 {
			sq.inc = 1
		}
		if sq.min == 0 {
			sq.min = 1
		}
		if sq.max == 0 {
			sq.max = intMax(typ)
		}
		if sq.start == 0 {
			sq.start = sq.min
		}
		if sq.oid == 0 {
			sq.oid = derive("sequence", "", sq.name)
		} else {
			used[sq.oid] = true
		}
		if ti := byName[q.OwnerTable]; ti != nil && ti.attnum[q.OwnerColumn] > 0 {
			sq.ownerTable, sq.ownerCol = ti, ti.attnum[q.OwnerColumn]
		}
		seqs = append(seqs, sq)
	}
	for _, sq := range seqs {
		b.relNames[sq.oid] = sq.name
		b.relOIDs[sq.name] = sq.oid
		b.relKind[sq.oid] = 'S'
		b.sizes[sq.oid] = 8192
	}

	b.fillNamespaces(users)
	b.fillRoles(users, roleOIDs)
	b.fillDatabase()
	b.fillTables(tables, byName, derive)
	b.fillSequences(seqs)
	b.fillInfoSchemaTables()
	b.scripts = map[string]string{}
	for _, schema := range Schemas {
		b.scripts[schema] = b.fillScript(schema)
	}
	return b
}

func intMax(oid uint32) int64 {
	switch oid {
	case OIDInt2:
		return 32767
	case OIDInt4:
		return 2147483647
	}
	return 9223372036854775807
}

func sameStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func (b *built) add(qualified string, row []any) {
	r := relByName[qualified]
	b.rows[r] = append(b.rows[r], row)
}

func (b *built) fillNamespaces(users []string) {
	bl := builder("pg_catalog.pg_namespace")
	for _, r := range staticTSV("pg_namespace").rows {
		acl := any(nil)
		if r[3] != `\N` {
			acl = strings.ReplaceAll(r[3], "postgres", quoteACLName(b.owner))
		}
		b.add("pg_catalog.pg_namespace", bl.row("oid", atoi(r[0]), "nspname", r[1], "nspowner", atoi(r[2]), "nspacl", acl))
	}
	// The descriptions PostgreSQL's initdb gives the schemas and plpgsql.
	desc := builder("pg_catalog.pg_description")
	for _, d := range []struct {
		oid, class uint32
		text       string
	}{{nsPgCatalog, classPgNamespace, "system catalog schema"}, {nsToast, classPgNamespace, "reserved schema for TOAST tables"},
		{nsPublic, classPgNamespace, "standard public schema"}, {extPlpgsql, classPgExtension, "PL/pgSQL procedural language"}} {
		b.add("pg_catalog.pg_description", desc.row("objoid", d.oid, "classoid", d.class, "objsubid", 0, "description", d.text))
		b.comments[descKey{d.oid, d.class, 0}] = d.text
	}
	sc := builder("information_schema.schemata")
	for _, n := range []string{"information_schema", "pg_catalog", "pg_toast", "public"} {
		owner := b.owner
		if n == "public" {
			owner = "pg_database_owner"
		}
		b.add("information_schema.schemata", sc.row("catalog_name", b.db, "schema_name", n, "schema_owner", owner))
	}
}

// quoteACLName quotes a role name inside an aclitem as PostgreSQL does.
func quoteACLName(s string) string {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
			return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
		}
	}
	return s
}

func atoi(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

func (b *built) fillRoles(users []string, oids []uint32) {
	type role struct {
		oid              uint32
		name             string
		super, login     bool
		inherit, special bool
	}
	roles := []role{{oid: roleDatabaseOwner, name: "pg_database_owner", inherit: true, special: true}}
	for i, u := range users {
		roles = append(roles, role{oid: oids[i], name: u, super: true, login: true, inherit: true})
	}
	ba, br, bu := builder("pg_catalog.pg_authid"), builder("pg_catalog.pg_roles"), builder("pg_catalog.pg_user")
	for _, r := range roles {
		b.add("pg_catalog.pg_authid", ba.row("oid", r.oid, "rolname", r.name, "rolsuper", r.super, "rolinherit", r.inherit,
			"rolcreaterole", r.super, "rolcreatedb", r.super, "rolcanlogin", r.login, "rolreplication", r.super,
			"rolbypassrls", r.super, "rolconnlimit", -1))
		b.add("pg_catalog.pg_roles", br.row("oid", r.oid, "rolname", r.name, "rolsuper", r.super, "rolinherit", r.inherit,
			"rolcreaterole", r.super, "rolcreatedb", r.super, "rolcanlogin", r.login, "rolreplication", r.super,
			"rolbypassrls", r.super, "rolconnlimit", -1, "rolpassword", "********"))
		if r.login {
			b.add("pg_catalog.pg_user", bu.row("usename", r.name, "usesysid", r.oid, "usecreatedb", r.super, "usesuper", r.super,
				"userepl", r.super, "usebypassrls", r.super, "passwd", "********"))
		}
	}
}

// fillDatabase writes the served database and, as initdb makes them,
// template1 (oid 1) and template0 (oid 4), which psql's \l lists. A
// client cannot connect to the templates: the node serves one database.
func (b *built) fillDatabase() {
	bl := builder("pg_catalog.pg_database")
	b.add("pg_catalog.pg_database", bl.row("oid", databaseOID, "datname", b.db, "datdba", roleBootstrap, "encoding", 6,
		"datlocprovider", "c", "datistemplate", false, "datallowconn", true, "datconnlimit", -1,
		"datfrozenxid", 716, "datminmxid", 1, "dattablespace", tablespaceDefault,
		"datcollate", "C.UTF-8", "datctype", "C.UTF-8"))
	owner := quoteACLName(b.owner)
	acl := "{=c/" + owner + "," + owner + "=CTc/" + owner + "}"
	for _, tpl := range []struct {
		oid       uint32
		name      string
		allowConn bool
	}{{1, "template1", true}, {4, "template0", false}} {
		if tpl.name == b.db {
			continue
		}
		b.add("pg_catalog.pg_database", bl.row("oid", tpl.oid, "datname", tpl.name, "datdba", roleBootstrap, "encoding", 6,
			"datlocprovider", "c", "datistemplate", true, "datallowconn", tpl.allowConn, "datconnlimit", -1,
			"datfrozenxid", 716, "datminmxid", 1, "dattablespace", tablespaceDefault,
			"datcollate", "C.UTF-8", "datctype", "C.UTF-8", "datacl", acl))
	}
}

// settingsScript writes the statements that bring pg_settings, whose
// fixed rows (PostgreSQL 15's descriptions and defaults) Attach wrote, to
// the snapshot's settings: undo the previous fill's changes, then set
// each value that differs, and add the settings PostgreSQL does not know
// (custom "x.y" options).
func (b *built) settingsScript(sb *strings.Builder) {
	sb.WriteString("UPDATE pg_catalog.pg_settings SET setting = reset_val, source = 'default' WHERE source = 'session';\n")
	sb.WriteString("DELETE FROM pg_catalog.pg_settings WHERE category = 'Customized Options';\n")
	var custom [][]any
	bl := builder("pg_catalog.pg_settings")
	for _, name := range sortedKeys(b.snap.Settings) {
		v := b.snap.Settings[name]
		if !knownSettings[name] {
			custom = append(custom, bl.row("name", name, "setting", v, "category", "Customized Options", "short_desc", "",
				"context", "user", "vartype", "string", "source", "session", "pending_restart", false))
			continue
		}
		sb.WriteString("UPDATE pg_catalog.pg_settings SET setting = ")
		writeLiteral(sb, v)
		sb.WriteString(", source = 'session' WHERE name = ")
		writeLiteral(sb, name)
		sb.WriteString(" AND setting IS NOT ")
		writeLiteral(sb, v)
		sb.WriteString(";\n")
	}
	writeInserts(sb, bl.rel, custom)
}

// fillTables writes pg_class, pg_attribute, pg_attrdef, pg_index,
// pg_constraint, pg_description and the information_schema views of
// the user's tables.
func (b *built) fillTables(tables []*tableInfo, byName map[string]*tableInfo, derive func(kind, table, name string) uint32) {
	cls, att, def := builder("pg_catalog.pg_class"), builder("pg_catalog.pg_attribute"), builder("pg_catalog.pg_attrdef")
	idx, con, desc := builder("pg_catalog.pg_index"), builder("pg_catalog.pg_constraint"), builder("pg_catalog.pg_description")
	isCols, isTC := builder("information_schema.columns"), builder("information_schema.table_constraints")
	isKCU, isRC := builder("information_schema.key_column_usage"), builder("information_schema.referential_constraints")
	isCCU, isCC := builder("information_schema.constraint_column_usage"), builder("information_schema.check_constraints")
	pgTables, pgIndexes := builder("pg_catalog.pg_tables"), builder("pg_catalog.pg_indexes")
	statUser, statAll, statio := builder("pg_catalog.pg_stat_user_tables"), builder("pg_catalog.pg_stat_all_tables"), builder("pg_catalog.pg_statio_user_tables")

	// Foreign keys first: both ends get relhastriggers.
	type fk struct {
		c        *Constraint
		from, to *tableInfo
		oid      uint32
		name     string
		refIndex *indexInfo
		refCols  []string
	}
	var fks []*fk
	hasTriggers := map[*tableInfo]bool{}
	checks := map[*tableInfo]int{}
	for _, ti := range tables {
		for i := range ti.t.Constraints {
			c := &ti.t.Constraints[i]
			switch c.Type {
			case 'f':
				f := &fk{c: c, from: ti, to: byName[c.RefTable], name: c.Name, refCols: c.RefColumns}
				if f.name == "" {
					f.name = ti.t.Name + "_" + strings.Join(c.Columns, "_") + "_fkey"
				}
				if f.to != nil {
					if len(f.refCols) == 0 && f.to.pkey != nil {
						f.refCols = f.to.pkey.ix.Columns
					}
					for _, ii := range f.to.indexes {
						if ii.unique && sameStrings(ii.ix.Columns, f.refCols) && (f.refIndex == nil || ii.primary) {
							f.refIndex = ii
						}
					}
					hasTriggers[f.to] = true
				}
				hasTriggers[ti] = true
				f.oid = derive("constraint", ti.t.Name, f.name)
				fks = append(fks, f)
			case 'c':
				checks[ti]++
			}
		}
	}

	for _, ti := range tables {
		t := ti.t
		var reloptions any
		if len(t.Options) > 0 {
			reloptions = formatArray(t.Options)
		}
		reltuples := t.Rows
		if reltuples == 0 {
			reltuples = -1
		}
		b.add("pg_catalog.pg_class", cls.row("oid", t.OID, "relname", t.Name, "relnamespace", nsPublic, "relowner", roleBootstrap,
			"relam", amHeap, "relfilenode", t.OID, "relpages", (t.Size+8191)/8192, "reltuples", reltuples,
			"relhasindex", len(ti.indexes) > 0, "relpersistence", "p", "relkind", "r", "relnatts", len(t.Columns),
			"relchecks", checks[ti], "relhastriggers", hasTriggers[ti], "relispopulated", true, "relreplident", "d",
			"relfrozenxid", 716, "relminmxid", 1, "reloptions", reloptions))
		b.add("pg_catalog.pg_tables", pgTables.row("schemaname", "public", "tablename", t.Name, "tableowner", b.owner,
			"hasindexes", len(ti.indexes) > 0, "hasrules", false, "hastriggers", hasTriggers[ti], "rowsecurity", false))
		live := int64(t.Rows)
		for _, st := range []*rowBuilder{statUser, statAll} {
			b.add(st.rel.qualified(), st.row("relid", t.OID, "schemaname", "public", "relname", t.Name, "n_live_tup", live))
		}
		b.add("pg_catalog.pg_statio_user_tables", statio.row("relid", t.OID, "schemaname", "public", "relname", t.Name))
		if t.Comment != "" {
			b.add("pg_catalog.pg_description", desc.row("objoid", t.OID, "classoid", classPgClass, "objsubid", 0, "description", t.Comment))
			b.comments[descKey{t.OID, classPgClass, 0}] = t.Comment
		}
		for j, c := range t.Columns {
			ct := ti.types[j]
			attnum := j + 1
			dflt := c.Default
			if dflt == "" && ct.serial && c.Identity == 0 {
				dflt = "nextval('" + quoteLiteralInner(quoteIdent(t.Name+"_"+c.Name+"_seq")) + "'::regclass)"
			}
			if c.Identity != 0 {
				dflt = ""
			}
			notNull := c.NotNull || ct.serial || c.Identity != 0
			for _, ii := range ti.indexes {
				if ii.primary {
					for _, a := range ii.attnums {
						notNull = notNull || a == attnum
					}
				}
			}
			b.add("pg_catalog.pg_attribute", attributeRow(att, t.OID, c.Name, ct, attnum, notNull, dflt != "", c.Identity))
			if dflt != "" {
				b.add("pg_catalog.pg_attrdef", def.row("oid", derive("attrdef", t.Name, c.Name), "adrelid", t.OID, "adnum", attnum, "adbin", dflt))
			}
			if c.Comment != "" {
				b.add("pg_catalog.pg_description", desc.row("objoid", t.OID, "classoid", classPgClass, "objsubid", attnum, "description", c.Comment))
				b.comments[descKey{t.OID, classPgClass, int32(attnum)}] = c.Comment
			}
			b.add("information_schema.columns", b.infoColumn(isCols, t.Name, c, ct, attnum, dflt, notNull))
			if notNull {
				b.add("information_schema.table_constraints", isTC.row("constraint_catalog", b.db, "constraint_schema", "public",
					"constraint_name", "2200_"+strconv.FormatUint(uint64(t.OID), 10)+"_"+strconv.Itoa(attnum)+"_not_null",
					"table_catalog", b.db, "table_schema", "public", "table_name", t.Name, "constraint_type", "CHECK",
					"is_deferrable", "NO", "initially_deferred", "NO", "enforced", "YES"))
			}
		}

		for _, ii := range ti.indexes {
			b.fillIndex(ii, cls, att, idx, con, isTC, isKCU, isCCU, pgIndexes)
		}

		// CHECK constraints.
		for i := range t.Constraints {
			c := &t.Constraints[i]
			if c.Type != 'c' {
				continue
			}
			name := c.Name
			if name == "" {
				if len(c.Columns) > 0 {
					name = t.Name + "_" + c.Columns[0] + "_check"
				} else {
					name = t.Name + "_check"
				}
			}
			oid := derive("constraint", t.Name, name)
			pretty := "CHECK (" + c.Check + ")"
			plain := "CHECK ((" + c.Check + "))"
			b.conDefs[oid] = [2]string{plain, pretty}
			b.add("pg_catalog.pg_constraint", con.row("oid", oid, "conname", name, "connamespace", nsPublic, "contype", "c",
				"condeferrable", c.Deferrable, "condeferred", c.Deferred, "convalidated", true, "conrelid", t.OID,
				"confupdtype", " ", "confdeltype", " ", "confmatchtype", " ", "conislocal", true,
				"conkey", formatIntArray(attnumsOf(ti, c.Columns)), "conbin", c.Check))
			b.add("information_schema.table_constraints", isTC.row("constraint_catalog", b.db, "constraint_schema", "public",
				"constraint_name", name, "table_catalog", b.db, "table_schema", "public", "table_name", t.Name,
				"constraint_type", "CHECK", "is_deferrable", yesNo(c.Deferrable), "initially_deferred", yesNo(c.Deferred), "enforced", "YES"))
			b.add("information_schema.check_constraints", isCC.row("constraint_catalog", b.db, "constraint_schema", "public",
				"constraint_name", name, "check_clause", pretty[len("CHECK "):]))
			for _, col := range c.Columns {
				b.add("information_schema.constraint_column_usage", isCCU.row("table_catalog", b.db, "table_schema", "public",
					"table_name", t.Name, "column_name", col, "constraint_catalog", b.db, "constraint_schema", "public", "constraint_name", name))
			}
		}
	}

	// Foreign keys.
	for _, f := range fks {
		c := f.c
		refName := c.RefTable
		var confrelid, conindid uint32
		var confkey any
		if f.to != nil {
			confrelid = f.to.t.OID
			confkey = formatIntArray(attnumsOf(f.to, f.refCols))
		}
		if f.refIndex != nil {
			conindid = f.refIndex.oid
		}
		upd, del := action(c.OnUpdate), action(c.OnDelete)
		def := "FOREIGN KEY (" + identList(c.Columns) + ") REFERENCES " + quoteIdent(refName) + "(" + identList(f.refCols) + ")"
		if upd != 'a' {
			def += " ON UPDATE " + actionWords(upd)
		}
		if del != 'a' {
			def += " ON DELETE " + actionWords(del)
		}
		def += deferrableWords(c.Deferrable, c.Deferred)
		b.conDefs[f.oid] = [2]string{def, def}
		b.add("pg_catalog.pg_constraint", con.row("oid", f.oid, "conname", f.name, "connamespace", nsPublic, "contype", "f",
			"condeferrable", c.Deferrable, "condeferred", c.Deferred, "convalidated", true, "conrelid", f.from.t.OID,
			"conindid", conindid, "confrelid", confrelid, "confupdtype", string(rune(upd)), "confdeltype", string(rune(del)),
			"confmatchtype", "s", "conislocal", true, "connoinherit", true,
			"conkey", formatIntArray(attnumsOf(f.from, c.Columns)), "confkey", confkey))
		b.add("information_schema.table_constraints", isTC.row("constraint_catalog", b.db, "constraint_schema", "public",
			"constraint_name", f.name, "table_catalog", b.db, "table_schema", "public", "table_name", f.from.t.Name,
			"constraint_type", "FOREIGN KEY", "is_deferrable", yesNo(c.Deferrable), "initially_deferred", yesNo(c.Deferred), "enforced", "YES"))
		for i, col := range c.Columns {
			var pos any
			if f.refIndex != nil && i < len(f.refCols) {
				for k, rc := range f.refIndex.ix.Columns {
					if rc == f.refCols[i] {
						pos = int64(k + 1)
					}
				}
			}
			b.add("information_schema.key_column_usage", isKCU.row("constraint_catalog", b.db, "constraint_schema", "public",
				"constraint_name", f.name, "table_catalog", b.db, "table_schema", "public", "table_name", f.from.t.Name,
				"column_name", col, "ordinal_position", i+1, "position_in_unique_constraint", pos))
		}
		for _, col := range f.refCols {
			b.add("information_schema.constraint_column_usage", isCCU.row("table_catalog", b.db, "table_schema", "public",
				"table_name", refName, "column_name", col, "constraint_catalog", b.db, "constraint_schema", "public", "constraint_name", f.name))
		}
		var uname any
		if f.refIndex != nil && f.refIndex.isConstr {
			uname = f.refIndex.name
		}
		b.add("information_schema.referential_constraints", isRC.row("constraint_catalog", b.db, "constraint_schema", "public",
			"constraint_name", f.name, "unique_constraint_catalog", b.db, "unique_constraint_schema", "public",
			"unique_constraint_name", uname, "match_option", "NONE", "update_rule", actionWords(upd), "delete_rule", actionWords(del)))
	}
}

func (b *built) fillIndex(ii *indexInfo, cls, att, idx, con, isTC, isKCU, isCCU, pgIndexes *rowBuilder) {
	ti := ii.table
	t := ti.t
	method := ii.ix.Method
	if method == "" {
		method = "btree"
	}
	am := int64(amBtree)
	if method == "hash" {
		am = 405
	}
	b.add("pg_catalog.pg_class", cls.row("oid", ii.oid, "relname", ii.name, "relnamespace", nsPublic, "relowner", roleBootstrap,
		"relam", am, "relfilenode", ii.oid, "relpages", (ii.ix.Size+8191)/8192, "reltuples", -1, "relpersistence", "p", "relkind", "i",
		"relnatts", len(ii.attnums), "relispopulated", true, "relreplident", "n", "relfrozenxid", 0, "relminmxid", 0))
	var keys, colls, classes, opts []string
	for k, a := range ii.attnums {
		var ct colType
		if a > 0 {
			ct = ti.types[a-1]
		} else {
			ct = colType{oid: OIDText, typmod: -1, info: typesByOID[OIDText]}
		}
		b.add("pg_catalog.pg_attribute", attributeRow(att, ii.oid, ii.ix.Columns[k], ct, k+1, false, false, 0))
		keys = append(keys, strconv.Itoa(a))
		colls = append(colls, strconv.FormatUint(uint64(ct.info.collation), 10))
		classes = append(classes, strconv.FormatUint(uint64(opclassFor(ct.oid)), 10))
		opts = append(opts, "0")
	}
	b.add("pg_catalog.pg_index", idx.row("indexrelid", ii.oid, "indrelid", t.OID, "indnatts", len(ii.attnums),
		"indnkeyatts", len(ii.attnums), "indisunique", ii.unique, "indisprimary", ii.primary, "indimmediate", !ii.deferrable,
		"indisvalid", true, "indisready", true, "indislive", true,
		"indkey", strings.Join(keys, " "), "indcollation", strings.Join(colls, " "),
		"indclass", strings.Join(classes, " "), "indoption", strings.Join(opts, " ")))
	unique := ""
	if ii.unique {
		unique = "UNIQUE "
	}
	cols := identList(ii.ix.Columns)
	tail := " USING " + method + " (" + cols + ")"
	plain := "CREATE " + unique + "INDEX " + quoteIdent(ii.name) + " ON public." + quoteIdent(t.Name) + tail
	pretty := "CREATE " + unique + "INDEX " + quoteIdent(ii.name) + " ON " + quoteIdent(t.Name) + tail
	b.indexDefs[ii.oid] = indexDef{plain: plain, pretty: pretty, columns: ii.ix.Columns}
	b.add("pg_catalog.pg_indexes", pgIndexes.row("schemaname", "public", "tablename", t.Name, "indexname", ii.name, "indexdef", plain))
	if !ii.isConstr {
		return
	}
	contype, kind, def := "u", "UNIQUE", "UNIQUE ("+cols+")"
	if ii.primary {
		contype, kind, def = "p", "PRIMARY KEY", "PRIMARY KEY ("+cols+")"
	}
	def += deferrableWords(ii.deferrable, ii.deferred)
	b.conDefs[ii.conOID] = [2]string{def, def}
	b.add("pg_catalog.pg_constraint", con.row("oid", ii.conOID, "conname", ii.name, "connamespace", nsPublic, "contype", contype,
		"condeferrable", ii.deferrable, "condeferred", ii.deferred, "convalidated", true, "conrelid", t.OID, "conindid", ii.oid,
		"confupdtype", " ", "confdeltype", " ", "confmatchtype", " ", "conislocal", true, "connoinherit", true,
		"conkey", formatIntArray(ii.attnums)))
	var nullsDistinct any
	if !ii.primary {
		nullsDistinct = "YES"
	}
	b.add("information_schema.table_constraints", isTC.row("constraint_catalog", b.db, "constraint_schema", "public",
		"constraint_name", ii.name, "table_catalog", b.db, "table_schema", "public", "table_name", t.Name,
		"constraint_type", kind, "is_deferrable", yesNo(ii.deferrable), "initially_deferred", yesNo(ii.deferred),
		"enforced", "YES", "nulls_distinct", nullsDistinct))
	for k, col := range ii.ix.Columns {
		b.add("information_schema.key_column_usage", isKCU.row("constraint_catalog", b.db, "constraint_schema", "public",
			"constraint_name", ii.name, "table_catalog", b.db, "table_schema", "public", "table_name", t.Name,
			"column_name", col, "ordinal_position", k+1))
		b.add("information_schema.constraint_column_usage", isCCU.row("table_catalog", b.db, "table_schema", "public",
			"table_name", t.Name, "column_name", col, "constraint_catalog", b.db, "constraint_schema", "public", "constraint_name", ii.name))
	}
}

func attributeRow(att *rowBuilder, rel uint32, name string, ct colType, attnum int, notNull, hasDef bool, identity byte) []any {
	ndims := 0
	if ct.info.category == "A" {
		ndims = 1
	}
	return att.row("attrelid", rel, "attname", name, "atttypid", ct.oid, "attlen", ct.info.len, "attnum", attnum,
		"atttypmod", ct.typmod, "attndims", ndims, "attbyval", ct.info.byval, "attalign", ct.info.align,
		"attstorage", ct.info.storage, "attcompression", "", "attnotnull", notNull, "atthasdef", hasDef,
		"attidentity", identity, "attgenerated", "", "attislocal", true, "attcollation", ct.info.collation,
		"attstattarget", -1)
}

func (b *built) fillSequences(seqs []*seqInfo) {
	cls, att, sq, dep := builder("pg_catalog.pg_class"), builder("pg_catalog.pg_attribute"), builder("pg_catalog.pg_sequence"), builder("pg_catalog.pg_depend")
	pgs, iss := builder("pg_catalog.pg_sequences"), builder("information_schema.sequences")
	for _, s := range seqs {
		b.add("pg_catalog.pg_class", cls.row("oid", s.oid, "relname", s.name, "relnamespace", nsPublic, "relowner", roleBootstrap,
			"relfilenode", s.oid, "relpages", 1, "reltuples", 1, "relpersistence", "p", "relkind", "S", "relnatts", 3,
			"relispopulated", true, "relreplident", "n"))
		for i, a := range []struct {
			name string
			oid  uint32
		}{{"last_value", OIDInt8}, {"log_cnt", OIDInt8}, {"is_called", OIDBool}} {
			b.add("pg_catalog.pg_attribute", attributeRow(att, s.oid, a.name, colType{oid: a.oid, typmod: -1, info: typesByOID[a.oid]}, i+1, true, false, 0))
		}
		b.add("pg_catalog.pg_sequence", sq.row("seqrelid", s.oid, "seqtypid", s.typ, "seqstart", s.start, "seqincrement", s.inc,
			"seqmax", s.max, "seqmin", s.min, "seqcache", 1, "seqcycle", s.cycle))
		if s.ownerTable != nil {
			deptype := "a"
			if s.identity {
				deptype = "i"
			}
			b.add("pg_catalog.pg_depend", dep.row("classid", classPgClass, "objid", s.oid, "objsubid", 0, "refclassid", classPgClass,
				"refobjid", s.ownerTable.t.OID, "refobjsubid", s.ownerCol, "deptype", deptype))
		}
		typ := FormatType(s.typ, -1, true)
		b.add("pg_catalog.pg_sequences", pgs.row("schemaname", "public", "sequencename", s.name, "sequenceowner", b.owner,
			"data_type", typ, "start_value", s.start, "min_value", s.min, "max_value", s.max, "increment_by", s.inc,
			"cycle", s.cycle, "cache_size", 1))
		if s.identity {
			continue // information_schema.sequences leaves out identity sequences
		}
		prec := map[uint32]int64{OIDInt2: 16, OIDInt4: 32, OIDInt8: 64}[s.typ]
		b.add("information_schema.sequences", iss.row("sequence_catalog", b.db, "sequence_schema", "public", "sequence_name", s.name,
			"data_type", typ, "numeric_precision", prec, "numeric_precision_radix", 2, "numeric_scale", 0,
			"start_value", strconv.FormatInt(s.start, 10), "minimum_value", strconv.FormatInt(s.min, 10),
			"maximum_value", strconv.FormatInt(s.max, 10), "increment", strconv.FormatInt(s.inc, 10), "cycle_option", yesNo(s.cycle)))
	}
}

// fillInfoSchemaTables lists the user's tables and the catalog's own
// relations in information_schema.tables.
func (b *built) fillInfoSchemaTables() {
	bl := builder("information_schema.tables")
	for _, t := range b.snap.Tables {
		b.add("information_schema.tables", bl.row("table_catalog", b.db, "table_schema", "public", "table_name", t.Name,
			"table_type", "BASE TABLE", "is_insertable_into", "YES", "is_typed", "NO"))
	}
	for _, r := range relations {
		typ, ins := "BASE TABLE", "YES"
		if r.View {
			typ, ins = "VIEW", "NO"
		}
		b.add("information_schema.tables", bl.row("table_catalog", b.db, "table_schema", r.Schema, "table_name", r.Name,
			"table_type", typ, "is_insertable_into", ins, "is_typed", "NO"))
	}
}

func (b *built) infoColumn(bl *rowBuilder, table string, c Column, ct colType, attnum int, dflt string, notNull bool) []any {
	dataType := FormatType(ct.oid, -1, false)
	if ct.info.category == "A" {
		dataType = "ARRAY"
	}
	var charMax, octetMax, numPrec, numRadix, numScale, dtPrec any
	mod := ct.typmod
	switch ct.oid {
	case OIDBpchar, OIDVarchar, OIDText:
		if mod >= 4 {
			charMax = int64(mod - 4)
			octetMax = int64(mod-4) * 4
		} else {
			octetMax = int64(1073741824)
		}
	case OIDBit, OIDVarbit:
		if mod >= 0 {
			charMax = int64(mod)
		}
	case OIDInt2, OIDInt4, OIDInt8:
		numPrec, numRadix, numScale = map[uint32]int64{OIDInt2: 16, OIDInt4: 32, OIDInt8: 64}[ct.oid], int64(2), int64(0)
	case OIDFloat4, OIDFloat8:
		numPrec, numRadix = map[uint32]int64{OIDFloat4: 24, OIDFloat8: 53}[ct.oid], int64(2)
	case OIDNumeric:
		numRadix = int64(10)
		if mod >= 4 {
			m := mod - 4
			numPrec, numScale = int64(m>>16&0xffff), int64(int16(m&0xffff))
		}
	case OIDDate:
		dtPrec = int64(0)
	case OIDTime, OIDTimetz, OIDTimestamp, OIDTimestamptz, OIDInterval:
		dtPrec = int64(6)
		if mod >= 0 {
			dtPrec = int64(mod)
		}
	}
	var defAny, identGen any
	if dflt != "" {
		defAny = dflt
	}
	isIdentity := "NO"
	var idStart, idInc, idMax, idMin any
	switch c.Identity {
	case 'a':
		isIdentity, identGen = "YES", "ALWAYS"
	case 'd':
		isIdentity, identGen = "YES", "BY DEFAULT"
	}
	if c.Identity != 0 {
		idStart, idInc, idMin = "1", "1", "1"
		idMax = strconv.FormatInt(intMax(ct.oid), 10)
	}
	udt := ct.info.name
	return bl.row("table_catalog", b.db, "table_schema", "public", "table_name", table, "column_name", c.Name,
		"ordinal_position", attnum, "column_default", defAny, "is_nullable", yesNo(!notNull), "data_type", dataType,
		"character_maximum_length", charMax, "character_octet_length", octetMax, "numeric_precision", numPrec,
		"numeric_precision_radix", numRadix, "numeric_scale", numScale, "datetime_precision", dtPrec,
		"udt_catalog", b.db, "udt_schema", "pg_catalog", "udt_name", udt, "dtd_identifier", strconv.Itoa(attnum),
		"is_self_referencing", "NO", "is_identity", isIdentity, "identity_generation", identGen,
		"identity_start", idStart, "identity_increment", idInc, "identity_maximum", idMax, "identity_minimum", idMin,
		"identity_cycle", "NO", "is_generated", "NEVER", "is_updatable", "YES")
}

func attnumsOf(ti *tableInfo, cols []string) []int {
	out := make([]int, len(cols))
	for i, c := range cols {
		out[i] = ti.attnum[c]
	}
	return out
}

func action(a byte) byte {
	switch a {
	case 'r', 'c', 'n', 'd':
		return a
	}
	return 'a'
}

func actionWords(a byte) string {
	switch a {
	case 'r':
		return "RESTRICT"
	case 'c':
		return "CASCADE"
	case 'n':
		return "SET NULL"
	case 'd':
		return "SET DEFAULT"
	}
	return "NO ACTION"
}

func deferrableWords(deferrable, deferred bool) string {
	s := ""
	if deferrable {
		s += " DEFERRABLE"
	}
	if deferred {
		s += " INITIALLY DEFERRED"
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "YES"
	}
	return "NO"
}

func identList(cols []string) string {
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = quoteIdent(c)
	}
	return strings.Join(q, ", ")
}

// quoteLiteralInner doubles the quotes of s for use inside '…'.
func quoteLiteralInner(s string) string { return strings.ReplaceAll(s, "'", "''") }
