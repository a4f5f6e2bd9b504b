package pgsql

import (
	"math"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/replisql/replisql/pgwire/pgerr"
)

// columnDef is a column of a table being created.
type columnDef struct {
	name     string
	typ      pgType
	decl     string // declared type written to SQLite
	serial   bool   // serial/bigserial/identity
	notNull  bool
	pk       bool
	unique   bool
	dflt     string
	check    []string
	refs     string
	generate string
}

var serialTypes = map[string]pgType{
	"serial": tInt4, "serial4": tInt4, "bigserial": tInt8, "serial8": tInt8, "smallserial": tInt2, "serial2": tInt2,
}

func (t *translator) createTable(s *pg_query.CreateStmt) (*Plan, error) {
	if len(s.InhRelations) > 0 {
		return nil, unsupported("table inheritance is not supported")
	}
	if s.Partspec != nil || s.Partbound != nil {
		return nil, unsupported("partitioned tables are not supported")
	}
	if s.OfTypename != nil {
		return nil, unsupported("typed tables are not supported")
	}
	rv := s.Relation
	if rv.Schemaname != "" && rv.Schemaname != "public" {
		return nil, pgerr.New(pgerr.InvalidCatalogName, "schema %q does not exist", rv.Schemaname)
	}
	if rv.Relpersistence == "t" {
		return nil, unsupported("temporary tables are not supported")
	}
	if strings.HasPrefix(rv.Relname, "sqlite_") {
		return nil, pgerr.New(pgerr.InsufficientPrivilege, "table names starting with sqlite_ are reserved")
	}
	if _, exists := t.schema.Table(rv.Relname); exists {
		if s.IfNotExists {
			t.notices = append(t.notices, &pgerr.Error{Severity: pgerr.SeverityNotice, Code: pgerr.DuplicateTable,
				Message: "relation \"" + rv.Relname + "\" already exists, skipping"})
			return t.finish(nil, nil)
		}
		return nil, pgerr.New(pgerr.DuplicateTable, "relation %q already exists", rv.Relname)
	}
	if err := t.tableOptions(rv.Relname, s.Options); err != nil {
		return nil, err
	}
	var cols []*columnDef
	var tableCons []string
	var pkCols []string
	// First pass: columns and their types, so constraints can refer to them.
	for _, el := range s.TableElts {
		cd := el.GetColumnDef()
		if cd == nil {
			continue
		}
		c, err := t.columnType(cd)
		if err != nil {
			return nil, err
		}
		for _, o := range cols {
			if o.name == c.name {
				return nil, pgerr.New(pgerr.DuplicateColumn, "column %q specified more than once", c.name)
			}
		}
		cols = append(cols, c)
	}
	sc := &scope{rels: []*rel{newTableRel(cols)}}
	used := map[string]bool{} // constraint names, for choosing new ones
	for _, el := range s.TableElts {
		switch x := el.Node.(type) {
		case *pg_query.Node_ColumnDef:
			var c *columnDef
			for _, cc := range cols {
				if cc.name == x.ColumnDef.Colname {
					c = cc
				}
			}
			if err := t.columnConstraints(rv.Relname, x.ColumnDef, c, sc, used); err != nil {
				return nil, err
			}
			if c.pk {
				pkCols = append(pkCols, c.name)
			}
		case *pg_query.Node_Constraint:
			con := x.Constraint
			if con.Contype == pg_query.ConstrType_CONSTR_PRIMARY {
				if len(pkCols) > 0 {
					return nil, pgerr.New(codeInvalidTableDefinition, "multiple primary keys for table %q are not allowed", rv.Relname)
				}
				pkCols = nameList(con.Keys)
				// Key columns are NOT NULL; SQLite would accept NULL in a
				// composite key.
				for _, k := range pkCols {
					found := false
					for _, c := range cols {
						if c.name == k {
							c.notNull, found = true, true
						}
					}
					if !found {
						return nil, pgerr.New(pgerr.UndefinedColumn, "column %q named in key does not exist", k)
					}
				}
				if len(con.Keys) == 1 {
					// Declared on the column, so an integer key becomes the rowid.
					t.annotateKey(rv.Relname, con, pkCols, used)
					for _, c := range cols {
						if c.name == pkCols[0] {
							c.pk = true
						}
					}
					continue
				}
			}
			sql, _, err := t.tableConstraint(rv.Relname, con, sc, used)
			if err != nil {
				return nil, err
			}
			tableCons = append(tableCons, sql)
		case *pg_query.Node_TableLikeClause:
			return nil, unsupported("CREATE TABLE … LIKE is not supported")
		default:
			return nil, unsupported("table element %s is not supported", nodeName(el))
		}
	}
	npk := 0
	for _, c := range cols {
		if c.pk {
			npk++
		}
	}
	if npk > 1 {
		return nil, pgerr.New(codeInvalidTableDefinition, "multiple primary keys for table %q are not allowed", rv.Relname)
	}
	var defs []string
	var pre []string
	for _, c := range cols {
		if c.serial && !c.pk {
			// A serial column that is not the rowid draws from its own
			// sequence, as in PostgreSQL.
			if c.dflt != "" {
				return nil, pgerr.New(pgerr.SyntaxError, "multiple default values specified for column %q of table %q", c.name, rv.Relname)
			}
			seq := rv.Relname + "_" + c.name + "_seq"
			max := int64(math.MaxInt64)
			switch c.typ.oid {
			case OIDInt4:
				max = math.MaxInt32
			case OIDInt2:
				max = math.MaxInt16
			}
			pre = append(pre, createSequenceSQL(seq, seqOptions{start: 1, inc: 1, min: 1, max: max}, false)...)
			c.dflt = "(pg_nextval(" + quoteString(seq) + "))"
			c.notNull = true
			c.serial = false
		}
		defs = append(defs, c.sql())
	}
	defs = append(defs, tableCons...)
	sql := "CREATE TABLE "
	if s.IfNotExists {
		sql += "IF NOT EXISTS "
	}
	sql += quoteIdent(rv.Relname) + " (" + strings.Join(defs, ", ") + ")"
	t.schemaCh = true
	return t.finish(append(pre, sql), nil)
}

func newTableRel(cols []*columnDef) *rel {
	r := &rel{sqlQual: "-"}
	for _, c := range cols {
		r.cols = append(r.cols, col{name: c.name, t: c.typ})
	}
	return r
}

// sql renders the column definition for SQLite.
func (c *columnDef) sql() string {
	var b strings.Builder
	b.WriteString(quoteIdent(c.name) + " " + c.decl)
	if c.notNull && !c.pk {
		b.WriteString(" NOT NULL")
	}
	if c.pk {
		if c.notNull || c.serial || isIntType(c.typ.oid) {
			b.WriteString(" NOT NULL")
		}
		b.WriteString(" PRIMARY KEY")
		if c.serial {
			b.WriteString(" AUTOINCREMENT")
		}
	}
	if c.unique {
		b.WriteString(" UNIQUE")
	}
	if c.dflt != "" {
		b.WriteString(" DEFAULT " + c.dflt)
	}
	for _, ch := range c.check {
		b.WriteString(" " + ch)
	}
	if c.generate != "" {
		b.WriteString(" GENERATED ALWAYS AS (" + c.generate + ") STORED")
	}
	if c.refs != "" {
		b.WriteString(" " + c.refs)
	}
	return b.String()
}

func (t *translator) columnType(cd *pg_query.ColumnDef) (*columnDef, error) {
	c := &columnDef{name: cd.Colname}
	if cd.CollClause != nil {
		cn := nameList(cd.CollClause.Collname)
		if n := cn[len(cn)-1]; n != "default" && n != "C" && n != "POSIX" {
			return nil, unsupported("collation %q is not supported", n)
		}
	}
	names := nameList(cd.TypeName.Names)
	if st, ok := serialTypes[names[len(names)-1]]; ok && len(names) == 1 {
		c.typ, c.serial = st, true
	} else {
		typ, err := t.storedType(cd.TypeName)
		if err != nil {
			return nil, err
		}
		c.typ = typ
	}
	c.decl = declaredType(c.typ)
	return c, nil
}

// columnConstraints applies a column's constraints to c; table is the
// table's name and used the constraint names taken so far.
func (t *translator) columnConstraints(table string, cd *pg_query.ColumnDef, c *columnDef, sc *scope, used map[string]bool) error {
	for _, cn := range cd.Constraints {
		con := cn.GetConstraint()
		switch con.Contype {
		case pg_query.ConstrType_CONSTR_NOTNULL:
			c.notNull = true
		case pg_query.ConstrType_CONSTR_NULL:
		case pg_query.ConstrType_CONSTR_PRIMARY:
			c.pk, c.notNull = true, true
			t.annotateKey(table, con, []string{c.name}, used)
		case pg_query.ConstrType_CONSTR_UNIQUE:
			c.unique = true
			t.annotateKey(table, con, []string{c.name}, used)
		case pg_query.ConstrType_CONSTR_DEFAULT:
			d, err := t.defaultExpr(con.RawExpr, c.typ)
			if err != nil {
				return err
			}
			c.dflt = d
		case pg_query.ConstrType_CONSTR_IDENTITY:
			if !isIntType(c.typ.oid) {
				return pgerr.New(pgerr.InvalidParameterValue, "identity column type must be smallint, integer, or bigint")
			}
			c.serial = true
			t.annotate(table, AnnIdentity, c.name, con.GeneratedWhen)
		case pg_query.ConstrType_CONSTR_CHECK:
			e, _, err := t.checkConstraint(table, con, sc, used)
			if err != nil {
				return err
			}
			c.check = append(c.check, e)
		case pg_query.ConstrType_CONSTR_GENERATED:
			e, err := t.ddlExpr(con.RawExpr, sc)
			if err != nil {
				return err
			}
			c.generate = e
		case pg_query.ConstrType_CONSTR_FOREIGN:
			r, err := t.references(con)
			if err != nil {
				return err
			}
			c.refs = r
			t.annotateKey(table, con, []string{c.name}, used)
		case pg_query.ConstrType_CONSTR_ATTR_DEFERRABLE, pg_query.ConstrType_CONSTR_ATTR_DEFERRED:
			return unsupported("deferrable constraints are not supported")
		case pg_query.ConstrType_CONSTR_ATTR_NOT_DEFERRABLE, pg_query.ConstrType_CONSTR_ATTR_IMMEDIATE:
		default:
			return unsupported("column constraint %s is not supported", con.Contype.String())
		}
	}
	if c.serial && isIntType(c.typ.oid) && c.pk {
		// The rowid: SQLite requires the exact type name INTEGER.
		if c.typ.oid == OIDInt8 {
			c.decl = "INTEGER"
		} else {
			c.decl = "integer"
			c.typ = tInt4
		}
	}
	if c.pk && c.typ.oid == OIDInt4 {
		c.decl = "integer"
	}
	if c.pk && c.typ.oid == OIDInt8 {
		// A bigint key is the rowid too; ColumnTypes reports it as bigint.
		c.decl = "INTEGER"
	}
	return nil
}

// ddlExpr translates an expression stored in the schema (CHECK,
// GENERATED): no parameters, no session values.
func (t *translator) ddlExpr(n *pg_query.Node, sc *scope) (string, error) {
	t.ddl = true
	defer func() { t.ddl = false }()
	e, err := t.expr(n, sc)
	if err != nil {
		return "", err
	}
	if e, err = t.coerce(e, tBool); err != nil {
		return "", err
	}
	return e.sql, nil
}

// defaultExpr renders a DEFAULT for SQLite. Constants are folded to the
// column's type; now()/CURRENT_TIMESTAMP become pg_now(), which INSERT
// replaces by the transaction timestamp.
func (t *translator) defaultExpr(n *pg_query.Node, typ pgType) (string, error) {
	t.ddl = true
	defer func() { t.ddl = false }()
	if sv := n.GetSqlvalueFunction(); sv != nil {
		switch sv.Op {
		case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP, pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP_N:
			if typ.oid == OIDTimestamptz {
				return "(pg_now())", nil
			}
		}
		return "", unsupported("DEFAULT %s is not supported for this column type", strings.ToLower(strings.TrimPrefix(sv.Op.String(), "SVFOP_")))
	}
	if fc := n.GetFuncCall(); fc != nil {
		names := nameList(fc.Funcname)
		switch names[len(names)-1] {
		case "nextval":
			if len(fc.Args) == 1 {
				if seq, ok := seqName(fc.Args[0]); ok && isIntType(typ.oid) {
					return "(pg_nextval(" + quoteString(seq) + "))", nil
				}
			}
			return "", unsupported("this DEFAULT nextval() is not supported")
		case "gen_random_uuid", "uuid_generate_v4":
			if typ.oid == OIDUUID && len(fc.Args) == 0 {
				return "(pg_gen_random_uuid())", nil
			}
			return "", unsupported("DEFAULT gen_random_uuid() is only supported for uuid columns")
		case "now", "transaction_timestamp":
			if typ.oid == OIDTimestamptz && len(fc.Args) == 0 {
				return "(pg_now())", nil
			}
			return "", unsupported("DEFAULT now() is only supported for timestamp with time zone columns")
		}
	}
	if v, src, ok := constValue(n); ok {
		cv, err := convertValue(v, src, typ, false)
		if err != nil {
			return "", err
		}
		return literalSQL(cv)
	}
	e, err := t.expr(n, &scope{})
	if err != nil {
		return "", err
	}
	a, err := t.assignE(e, typ)
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(a.sql, "pg_cast(") || strings.ContainsAny(a.sql, "(") {
		return "(" + a.sql + ")", nil
	}
	return a.sql, nil
}

func (t *translator) references(con *pg_query.Constraint) (string, error) {
	if con.Pktable == nil {
		return "", unsupported("foreign key without a table")
	}
	var b strings.Builder
	b.WriteString("REFERENCES " + quoteIdent(con.Pktable.Relname))
	if len(con.PkAttrs) > 0 {
		var cs []string
		for _, a := range nameList(con.PkAttrs) {
			cs = append(cs, quoteIdent(a))
		}
		b.WriteString(" (" + strings.Join(cs, ", ") + ")")
	}
	act := func(c string) string {
		switch c {
		case "c":
			return "CASCADE"
		case "n":
			return "SET NULL"
		case "d":
			return "SET DEFAULT"
		case "r":
			return "RESTRICT"
		}
		return ""
	}
	if a := act(con.FkDelAction); a != "" {
		b.WriteString(" ON DELETE " + a)
	}
	if a := act(con.FkUpdAction); a != "" {
		b.WriteString(" ON UPDATE " + a)
	}
	if con.FkMatchtype == "f" {
		b.WriteString(" MATCH FULL")
	}
	return b.String(), nil
}

// tableConstraint translates a table constraint of table, recording its
// name (and a CHECK's PostgreSQL text); it returns the SQLite clause and,
// for a CHECK, the constraint's name.
func (t *translator) tableConstraint(table string, con *pg_query.Constraint, sc *scope, used map[string]bool) (string, string, error) {
	prefix := ""
	if con.Conname != "" {
		prefix = "CONSTRAINT " + quoteIdent(con.Conname) + " "
	}
	keys := func(ns []*pg_query.Node) string {
		var cs []string
		for _, k := range nameList(ns) {
			cs = append(cs, quoteIdent(k))
		}
		return "(" + strings.Join(cs, ", ") + ")"
	}
	if len(con.Including) > 0 {
		return "", "", unsupported("INCLUDE in constraints is not supported")
	}
	switch con.Contype {
	case pg_query.ConstrType_CONSTR_PRIMARY:
		t.annotateKey(table, con, nameList(con.Keys), used)
		return prefix + "PRIMARY KEY " + keys(con.Keys), "", nil
	case pg_query.ConstrType_CONSTR_UNIQUE:
		t.annotateKey(table, con, nameList(con.Keys), used)
		return prefix + "UNIQUE " + keys(con.Keys), "", nil
	case pg_query.ConstrType_CONSTR_CHECK:
		return t.checkConstraint(table, con, sc, used)
	case pg_query.ConstrType_CONSTR_FOREIGN:
		r, err := t.references(con)
		if err != nil {
			return "", "", err
		}
		t.annotateKey(table, con, nameList(con.FkAttrs), used)
		return prefix + "FOREIGN KEY " + keys(con.FkAttrs) + " " + r, "", nil
	case pg_query.ConstrType_CONSTR_EXCLUSION:
		return "", "", unsupported("exclusion constraints are not supported")
	}
	return "", "", unsupported("table constraint %s is not supported", con.Contype.String())
}

func (t *translator) dropStmt(s *pg_query.DropStmt) (*Plan, error) {
	var sqls []string
	switch s.RemoveType {
	case pg_query.ObjectType_OBJECT_TABLE:
		for _, o := range s.Objects {
			names := nameList(o.GetList().GetItems())
			name := names[len(names)-1]
			if len(names) > 1 && names[0] != "public" {
				if s.MissingOk {
					t.notices = append(t.notices, notice("schema \""+names[0]+"\" does not exist, skipping"))
					continue
				}
				return nil, pgerr.New(codeInvalidSchemaName, "schema %q does not exist", names[0])
			}
			if _, ok := t.schema.Table(name); !ok {
				if s.MissingOk {
					t.notices = append(t.notices, notice("table \""+name+"\" does not exist, skipping"))
					continue
				}
				return nil, pgerr.New(pgerr.UndefinedTable, "table %q does not exist", name)
			}
			sqls = append(sqls, "DROP TABLE "+quoteIdent(name))
			sqls = append(sqls, t.dropAnnotations(name)...)
			tb, _ := t.schema.Table(name)
			for i := range tb.Columns {
				if seq, ok := ownedSequence(&tb.Columns[i]); ok && seq == name+"_"+tb.Columns[i].Name+"_seq" {
					sqls = append(sqls, "DELETE FROM "+seqTable+" WHERE \"name\" = "+quoteString(seq))
				}
			}
		}
	case pg_query.ObjectType_OBJECT_INDEX:
		for _, o := range s.Objects {
			names := nameList(o.GetList().GetItems())
			sql := "DROP INDEX "
			if s.MissingOk {
				sql += "IF EXISTS "
			}
			sqls = append(sqls, sql+quoteIdent(names[len(names)-1]))
		}
	case pg_query.ObjectType_OBJECT_SEQUENCE:
		return t.dropSequence(s)
	default:
		return nil, unsupported("DROP %s is not supported", objectTypeName(s.RemoveType))
	}
	t.schemaCh = len(sqls) > 0
	return t.finish(sqls, nil)
}

func notice(msg string) *pgerr.Error {
	return &pgerr.Error{Severity: pgerr.SeverityNotice, Code: pgerr.SuccessfulCompletion, Message: msg}
}

func (t *translator) truncateStmt(s *pg_query.TruncateStmt) (*Plan, error) {
	if s.Behavior == pg_query.DropBehavior_DROP_CASCADE {
		return nil, unsupported("TRUNCATE … CASCADE is not supported")
	}
	var sqls []string
	for _, r := range s.Relations {
		rv := r.GetRangeVar()
		tb, err := t.table(rv)
		if err != nil {
			return nil, err
		}
		sqls = append(sqls, "DELETE FROM "+quoteIdent(tb.Name))
		if s.RestartSeqs {
			for _, c := range tb.Columns {
				if c.Identity {
					sqls = append(sqls, "DELETE FROM sqlite_sequence WHERE name = "+quoteString(tb.Name))
					break
				}
			}
		}
	}
	return t.finish(sqls, nil)
}

func (t *translator) createIndex(s *pg_query.IndexStmt) (*Plan, error) {
	switch s.AccessMethod {
	case "", "btree", "hash":
	default:
		return nil, unsupported("index access method %q is not supported", s.AccessMethod)
	}
	if len(s.IndexIncludingParams) > 0 {
		// INCLUDE columns only make index-only scans possible; leaving
		// them out keeps the results.
	}
	tb, err := t.table(s.Relation)
	if err != nil {
		return nil, err
	}
	sc := &scope{rels: []*rel{func() *rel { r := tableRel(tb); r.sqlQual = "-"; return r }()}}
	var parts []string
	var nameParts []string
	for _, p := range s.IndexParams {
		el := p.GetIndexElem()
		var sql string
		if el.Name != "" {
			if columnIndex(tb, el.Name) < 0 {
				return nil, pgerr.New(pgerr.UndefinedColumn, "column %q does not exist", el.Name)
			}
			sql = quoteIdent(el.Name)
			nameParts = append(nameParts, el.Name)
		} else {
			e, err := t.ddlExpr(el.Expr, sc)
			if err != nil {
				// ddlExpr coerces to bool; index expressions are any type.
				t.ddl = true
				ee, err2 := t.expr(el.Expr, sc)
				t.ddl = false
				if err2 != nil {
					return nil, err2
				}
				e = ee.sql
			}
			sql = "(" + e + ")"
			nameParts = append(nameParts, "expr")
		}
		if len(el.Opclass) > 0 {
			return nil, unsupported("operator classes are not supported")
		}
		if el.Ordering == pg_query.SortByDir_SORTBY_DESC {
			sql += " DESC"
		}
		parts = append(parts, sql)
	}
	name := s.Idxname
	if name == "" {
		name = tb.Name + "_" + strings.Join(nameParts, "_") + "_idx"
	}
	var b strings.Builder
	b.WriteString("CREATE ")
	if s.Unique {
		b.WriteString("UNIQUE ")
	}
	b.WriteString("INDEX ")
	if s.IfNotExists {
		b.WriteString("IF NOT EXISTS ")
	}
	b.WriteString(quoteIdent(name) + " ON " + quoteIdent(tb.Name) + " (" + strings.Join(parts, ", ") + ")")
	if s.WhereClause != nil {
		w, err := t.ddlExpr(s.WhereClause, sc)
		if err != nil {
			return nil, err
		}
		b.WriteString(" WHERE " + w)
	}
	t.schemaCh = true
	return t.finish([]string{b.String()}, nil)
}

func (t *translator) alterTable(s *pg_query.AlterTableStmt) (*Plan, error) {
	if s.Objtype != pg_query.ObjectType_OBJECT_TABLE {
		return nil, unsupported("ALTER %s is not supported", objectTypeName(s.Objtype))
	}
	tb, ok := t.schema.Table(s.Relation.Relname)
	if !ok {
		if s.MissingOk {
			t.notices = append(t.notices, notice("relation \""+s.Relation.Relname+"\" does not exist, skipping"))
			return t.finish(nil, nil)
		}
		return nil, t.errAt(s.Relation.Location, pgerr.UndefinedTable, "relation %q does not exist", s.Relation.Relname)
	}
	var sqls []string
	var altered []TableColumn // columns changed by ALTER COLUMN, for a rebuild
	var alterChecks []string
	for _, cn := range s.Cmds {
		cmd := cn.GetAlterTableCmd()
		switch cmd.Subtype {
		case pg_query.AlterTableType_AT_AddColumn:
			cd := cmd.Def.GetColumnDef()
			if columnIndex(tb, cd.Colname) >= 0 {
				if cmd.MissingOk {
					t.notices = append(t.notices, notice("column \""+cd.Colname+"\" of relation \""+tb.Name+"\" already exists, skipping"))
					continue
				}
				return nil, pgerr.New(pgerr.DuplicateColumn, "column %q of relation %q already exists", cd.Colname, tb.Name)
			}
			c, err := t.columnType(cd)
			if err != nil {
				return nil, err
			}
			sc := &scope{rels: []*rel{tableRel(tb)}}
			sc.rels[0].sqlQual = "-"
			if err := t.columnConstraints(tb.Name, cd, c, sc, constraintNames(tb)); err != nil {
				return nil, err
			}
			if c.pk || c.unique || c.serial {
				return nil, unsupported("ALTER TABLE ADD COLUMN with PRIMARY KEY, UNIQUE or serial is not supported")
			}
			if strings.Contains(c.dflt, "pg_now()") || strings.Contains(c.dflt, "pg_gen_random_uuid()") {
				return nil, unsupported("ALTER TABLE ADD COLUMN with DEFAULT now() or gen_random_uuid() is not supported")
			}
			sqls = append(sqls, "ALTER TABLE "+quoteIdent(tb.Name)+" ADD COLUMN "+c.sql())
		case pg_query.AlterTableType_AT_DropColumn:
			if columnIndex(tb, cmd.Name) < 0 {
				if cmd.MissingOk {
					t.notices = append(t.notices, notice("column \""+cmd.Name+"\" of relation \""+tb.Name+"\" does not exist, skipping"))
					continue
				}
				return nil, pgerr.New(pgerr.UndefinedColumn, "column %q of relation %q does not exist", cmd.Name, tb.Name)
			}
			sqls = append(sqls, "ALTER TABLE "+quoteIdent(tb.Name)+" DROP COLUMN "+quoteIdent(cmd.Name))
			sqls = append(sqls, t.dropColumnAnnotations(tb, cmd.Name)...)
		case pg_query.AlterTableType_AT_AddConstraint:
			con := cmd.Def.GetConstraint()
			switch con.Contype {
			case pg_query.ConstrType_CONSTR_PRIMARY:
				if len(s.Cmds) > 1 {
					return nil, unsupported("ADD PRIMARY KEY together with other ALTER TABLE actions is not supported")
				}
				rs, err := t.addPrimaryKey(tb, con)
				if err != nil {
					return nil, err
				}
				sqls = append(sqls, rs...)
			case pg_query.ConstrType_CONSTR_UNIQUE:
				var cs, ns []string
				for _, k := range nameList(con.Keys) {
					if columnIndex(tb, k) < 0 {
						return nil, pgerr.New(pgerr.UndefinedColumn, "column %q named in key does not exist", k)
					}
					cs = append(cs, quoteIdent(k))
					ns = append(ns, k)
				}
				name := con.Conname
				if name == "" {
					name = tb.Name + "_" + strings.Join(ns, "_") + "_key"
				}
				sqls = append(sqls, "CREATE UNIQUE INDEX "+quoteIdent(name)+" ON "+quoteIdent(tb.Name)+" ("+strings.Join(cs, ", ")+")")
				// The index is the constraint's: the catalog shows it so.
				t.annotate(tb.Name, AnnConstraint, name, mustJSON(ConstraintNote{Type: "u", Columns: ns}))
			case pg_query.ConstrType_CONSTR_FOREIGN, pg_query.ConstrType_CONSTR_CHECK:
				if len(s.Cmds) > 1 {
					return nil, unsupported("ADD CONSTRAINT together with other ALTER TABLE actions is not supported")
				}
				if con.SkipValidation {
					return nil, unsupported("NOT VALID constraints are not supported")
				}
				sc := &scope{rels: []*rel{tableRel(tb)}}
				sc.rels[0].sqlQual = "-"
				def, name, err := t.tableConstraint(tb.Name, con, sc, constraintNames(tb))
				if err != nil {
					return nil, err
				}
				var checks []string
				if con.Contype == pg_query.ConstrType_CONSTR_CHECK {
					// Existing rows must satisfy it, as PostgreSQL checks.
					e, _ := t.ddlExpr(con.RawExpr, sc)
					checks = append(checks, "SELECT pg_raise('23514', "+quoteString("check constraint \""+name+"\" of relation \""+tb.Name+"\" is violated by some row")+
						") FROM "+quoteIdent(tb.Name)+" WHERE NOT ("+e+") LIMIT 1")
				}
				rs, err := t.rebuild(tb, "ADD CONSTRAINT", rebuildColumns(tb), checks, def)
				if err != nil {
					return nil, err
				}
				sqls = append(sqls, rs...)
			default:
				return nil, unsupported("ALTER TABLE ADD %s constraint is not supported", strings.TrimPrefix(con.Contype.String(), "CONSTR_"))
			}
		case pg_query.AlterTableType_AT_SetNotNull, pg_query.AlterTableType_AT_DropNotNull, pg_query.AlterTableType_AT_ColumnDefault:
			if altered == nil {
				altered = rebuildColumns(tb)
			}
			checks, err := t.alterColumn(tb, altered, cmd)
			if err != nil {
				return nil, err
			}
			alterChecks = append(alterChecks, checks...)
		default:
			return nil, unsupported("ALTER TABLE … %s is not supported", alterTableCmdName(cmd.Subtype))
		}
	}
	if altered != nil {
		if len(sqls) > 0 {
			return nil, unsupported("ALTER COLUMN together with other ALTER TABLE actions is not supported")
		}
		rs, err := t.rebuild(tb, "ALTER COLUMN", altered, alterChecks)
		if err != nil {
			return nil, err
		}
		sqls = rs
	}
	t.schemaCh = len(sqls) > 0
	return t.finish(sqls, nil)
}

// addPrimaryKey rebuilds the table with the key, as SQLite cannot add
// one: check, create the new table, copy, drop, rename, recreate the
// indexes. An integer single-column key becomes the rowid.
func (t *translator) addPrimaryKey(tb *Table, con *pg_query.Constraint) ([]string, error) {
	for _, c := range tb.Columns {
		if c.PrimaryKey {
			return nil, pgerr.New(codeInvalidTableDefinition, "multiple primary keys for table %q are not allowed", tb.Name)
		}
	}
	keys := nameList(con.Keys)
	var qk []string
	for _, k := range keys {
		if columnIndex(tb, k) < 0 {
			return nil, pgerr.New(pgerr.UndefinedColumn, "column %q of relation %q does not exist", k, tb.Name)
		}
		qk = append(qk, quoteIdent(k))
	}
	pkName := con.Conname
	if pkName == "" {
		pkName = tb.Name + "_pkey"
	}
	var checks []string
	// NULLs and duplicates fail as PostgreSQL reports them.
	for _, k := range keys {
		checks = append(checks, "SELECT pg_raise('23502', "+quoteString("column \""+k+"\" of relation \""+tb.Name+"\" contains null values")+
			") FROM "+quoteIdent(tb.Name)+" WHERE "+quoteIdent(k)+" IS NULL LIMIT 1")
	}
	checks = append(checks, "SELECT pg_raise('23505', "+quoteString("could not create unique index \""+pkName+"\"")+
		") FROM "+quoteIdent(tb.Name)+" GROUP BY "+strings.Join(qk, ", ")+" HAVING count(*) > 1 LIMIT 1")
	cols := rebuildColumns(tb)
	for i := range cols {
		for _, k := range keys {
			if cols[i].Name == k {
				cols[i].PrimaryKey, cols[i].NotNull = true, true
			}
		}
	}
	return t.rebuild(tb, "ADD PRIMARY KEY", cols, checks)
}

func rebuildColumns(tb *Table) []TableColumn {
	return append([]TableColumn(nil), tb.Columns...)
}

// rebuild replaces tb by a table with columns cols (same names, same
// order): SQLite's way of changing what ALTER TABLE cannot. It refuses
// tables whose definition has clauses the Schema does not describe
// (CHECK, REFERENCES, UNIQUE, …): rebuilding would drop them.
func (t *translator) rebuild(tb *Table, what string, cols []TableColumn, checks []string, extra ...string) ([]string, error) {
	if tb.SQL == "" {
		return nil, unsupported("ALTER TABLE %s needs the table's definition, which is not available", what)
	}
	if len(tb.Triggers) > 0 {
		return nil, unsupported("ALTER TABLE %s on a table with triggers is not supported", what)
	}
	low := strings.ToLower(tb.SQL)
	for _, kw := range []string{"check", "references", "unique", "constraint", "generated", "collate", "without rowid"} {
		if strings.Contains(low, kw) {
			return nil, unsupported("ALTER TABLE %s on a table with %s clauses is not supported", what, strings.ToUpper(kw))
		}
	}
	var keys []string
	for _, c := range cols {
		if c.PrimaryKey {
			keys = append(keys, quoteIdent(c.Name))
		}
	}
	tmp := tb.Name + "__replisql_rebuild"
	var defs, names []string
	for _, c := range cols {
		ct := colType(&c)
		decl := declaredType(ct)
		single := c.PrimaryKey && len(keys) == 1
		if single && isIntType(ct.oid) && ct.oid != OIDInt2 {
			// The key is the rowid.
			decl = map[bool]string{true: "INTEGER", false: "integer"}[ct.oid == OIDInt8]
		}
		if _, known := typesByOID[ct.oid]; !known || (ct.oid == OIDText && !strings.EqualFold(c.Type, "text")) {
			decl = c.Type
		}
		d := quoteIdent(c.Name) + " " + decl
		if c.NotNull || c.PrimaryKey {
			d += " NOT NULL"
		}
		if single {
			d += " PRIMARY KEY"
			if c.Identity {
				d += " AUTOINCREMENT"
			}
		}
		if c.Default != "" {
			dv := c.Default
			if !strings.HasPrefix(dv, "(") && !strings.HasPrefix(dv, "'") && strings.ContainsAny(dv, "( ") {
				dv = "(" + dv + ")"
			}
			d += " DEFAULT " + dv
		}
		defs = append(defs, d)
		names = append(names, quoteIdent(c.Name))
	}
	if len(keys) > 1 {
		defs = append(defs, "PRIMARY KEY ("+strings.Join(keys, ", ")+")")
	}
	defs = append(defs, extra...)
	cl := strings.Join(names, ", ")
	sqls := append([]string{}, checks...)
	sqls = append(sqls,
		"CREATE TABLE "+quoteIdent(tmp)+" ("+strings.Join(defs, ", ")+")",
		"INSERT INTO "+quoteIdent(tmp)+" ("+cl+") SELECT "+cl+" FROM "+quoteIdent(tb.Name))
	if strings.Contains(strings.ToUpper(tb.SQL), "AUTOINCREMENT") {
		// Keep the identity counter: PostgreSQL never reuses its values.
		sqls = append(sqls, "UPDATE sqlite_sequence SET seq = (SELECT seq FROM sqlite_sequence WHERE name = "+quoteString(tb.Name)+
			") WHERE name = "+quoteString(tmp)+" AND EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = "+quoteString(tb.Name)+")")
	}
	sqls = append(sqls,
		"DROP TABLE "+quoteIdent(tb.Name),
		"ALTER TABLE "+quoteIdent(tmp)+" RENAME TO "+quoteIdent(tb.Name))
	sqls = append(sqls, tb.Indexes...)
	t.schemaCh = true
	return sqls, nil
}

// alterColumn handles ALTER COLUMN … SET/DROP DEFAULT and SET/DROP NOT
// NULL by a rebuild.
func (t *translator) alterColumn(tb *Table, cols []TableColumn, cmd *pg_query.AlterTableCmd) ([]string, error) {
	i := -1
	for j := range cols {
		if cols[j].Name == cmd.Name {
			i = j
		}
	}
	if i < 0 {
		return nil, pgerr.New(pgerr.UndefinedColumn, "column %q of relation %q does not exist", cmd.Name, tb.Name)
	}
	c := &cols[i]
	switch cmd.Subtype {
	case pg_query.AlterTableType_AT_SetNotNull:
		c.NotNull = true
		return []string{"SELECT pg_raise('23502', " + quoteString("column \""+c.Name+"\" of relation \""+tb.Name+"\" contains null values") +
			") FROM " + quoteIdent(tb.Name) + " WHERE " + quoteIdent(c.Name) + " IS NULL LIMIT 1"}, nil
	case pg_query.AlterTableType_AT_DropNotNull:
		if c.PrimaryKey {
			return nil, pgerr.New(codeInvalidTableDefinition, "column %q is in a primary key", c.Name)
		}
		c.NotNull = false
	case pg_query.AlterTableType_AT_ColumnDefault:
		if cmd.Def == nil {
			c.Default = ""
			break
		}
		d, err := t.defaultExpr(cmd.Def, colType(c))
		if err != nil {
			return nil, err
		}
		c.Default = d
	}
	return nil, nil
}

func (t *translator) renameStmt(s *pg_query.RenameStmt) (*Plan, error) {
	tb, ok := t.schema.Table(s.Relation.GetRelname())
	if !ok {
		if s.MissingOk {
			t.notices = append(t.notices, notice("relation \""+s.Relation.GetRelname()+"\" does not exist, skipping"))
			return t.finish(nil, nil)
		}
		return nil, pgerr.New(pgerr.UndefinedTable, "relation %q does not exist", s.Relation.GetRelname())
	}
	var sql string
	var follow []string // the annotations follow the rename
	switch s.RenameType {
	case pg_query.ObjectType_OBJECT_TABLE:
		if _, exists := t.schema.Table(s.Newname); exists {
			return nil, pgerr.New(pgerr.DuplicateTable, "relation %q already exists", s.Newname)
		}
		sql = "ALTER TABLE " + quoteIdent(tb.Name) + " RENAME TO " + quoteIdent(s.Newname)
		follow = t.renameAnnotations(tb, "", s.Newname)
	case pg_query.ObjectType_OBJECT_COLUMN:
		if columnIndex(tb, s.Subname) < 0 {
			return nil, pgerr.New(pgerr.UndefinedColumn, "column %q does not exist", s.Subname)
		}
		if columnIndex(tb, s.Newname) >= 0 {
			return nil, pgerr.New(pgerr.DuplicateColumn, "column %q of relation %q already exists", s.Newname, tb.Name)
		}
		sql = "ALTER TABLE " + quoteIdent(tb.Name) + " RENAME COLUMN " + quoteIdent(s.Subname) + " TO " + quoteIdent(s.Newname)
		follow = t.renameAnnotations(tb, s.Subname, s.Newname)
	default:
		return nil, unsupported("ALTER … RENAME of %s is not supported", objectTypeName(s.RenameType))
	}
	t.schemaCh = true
	return t.finish(append([]string{sql}, follow...), nil)
}

// vacuumStmt: VACUUM has nothing to do on SQLite per table (the session
// may run a database-wide VACUUM on its own terms); ANALYZE maps to
// SQLite's ANALYZE.
func (t *translator) vacuumStmt(s *pg_query.VacuumStmt) (*Plan, error) {
	analyze := !s.IsVacuumcmd
	for _, o := range s.Options {
		d := o.GetDefElem()
		if d == nil {
			continue
		}
		switch d.Defname {
		case "analyze":
			analyze = d.Arg == nil || defBool(d.Arg)
		case "full", "freeze", "verbose", "skip_locked", "disable_page_skipping", "index_cleanup",
			"truncate", "parallel", "process_toast", "process_main", "skip_database_stats", "only_database_stats", "buffer_usage_limit":
		default:
			return nil, pgerr.New(pgerr.SyntaxError, "unrecognized %s option %q", t.st.Tag, d.Defname)
		}
	}
	var sqls []string
	for _, r := range s.Rels {
		vr := r.GetVacuumRelation()
		if vr == nil || vr.Relation == nil {
			continue
		}
		tb, err := t.table(vr.Relation)
		if err != nil {
			return nil, err
		}
		if analyze {
			sqls = append(sqls, "ANALYZE "+quoteIdent(tb.Name))
		}
	}
	if len(s.Rels) == 0 && analyze {
		sqls = append(sqls, "ANALYZE")
	}
	return t.finish(sqls, nil)
}

// constValue evaluates a constant expression (a literal, a negated
// number, or a cast of one) for folding into DEFAULT.
func constValue(n *pg_query.Node) (any, uint32, bool) {
	if c := n.GetAConst(); c != nil {
		if c.Isnull {
			return nil, OIDUnknown, true
		}
		switch v := c.Val.(type) {
		case *pg_query.A_Const_Ival:
			return int64(v.Ival.Ival), OIDInt4, true
		case *pg_query.A_Const_Fval:
			x, err := toNumeric(v.Fval.Fval, -1)
			return x, OIDNumeric, err == nil
		case *pg_query.A_Const_Sval:
			return v.Sval.Sval, OIDUnknown, true
		case *pg_query.A_Const_Boolval:
			return boolInt(v.Boolval.Boolval), OIDBool, true
		}
		return nil, 0, false
	}
	if tc := n.GetTypeCast(); tc != nil {
		v, src, ok := constValue(tc.Arg)
		if !ok {
			return nil, 0, false
		}
		t := &translator{}
		typ, err := t.typeOf(tc.TypeName)
		if err != nil {
			return nil, 0, false
		}
		cv, err := convertValue(v, src, typ, true)
		if err != nil {
			return nil, 0, false
		}
		return cv, typ.oid, true
	}
	if ae := n.GetAExpr(); ae != nil && ae.Lexpr == nil && len(ae.Name) == 1 && strNode(ae.Name[0]) == "-" {
		v, src, ok := constValue(ae.Rexpr)
		if !ok {
			return nil, 0, false
		}
		switch x := v.(type) {
		case int64:
			return -x, src, true
		case float64:
			return -x, src, true
		}
	}
	return nil, 0, false
}

// createTableAs creates a table typed by a query's columns and fills it
// with the query's rows (the last statement's row count is the tag's).
func (t *translator) createTableAs(into *pg_query.IntoClause, sel *pg_query.SelectStmt, ifNotExists bool) (*Plan, error) {
	rv := into.Rel
	if rv.Schemaname != "" && rv.Schemaname != "public" {
		return nil, pgerr.New(codeInvalidSchemaName, "schema %q does not exist", rv.Schemaname)
	}
	if rv.Relpersistence == "t" {
		return nil, unsupported("temporary tables are not supported")
	}
	if _, exists := t.schema.Table(rv.Relname); exists {
		if ifNotExists {
			t.notices = append(t.notices, &pgerr.Error{Severity: pgerr.SeverityNotice, Code: pgerr.DuplicateTable,
				Message: "relation \"" + rv.Relname + "\" already exists, skipping"})
			return t.finish(nil, nil)
		}
		return nil, pgerr.New(pgerr.DuplicateTable, "relation %q already exists", rv.Relname)
	}
	q, err := t.selectStmt(sel, nil, nameList(into.ColNames))
	if err != nil {
		return nil, err
	}
	var defs, names []string
	seen := map[string]bool{}
	for _, c := range q.cols {
		if seen[c.name] {
			return nil, pgerr.New(pgerr.DuplicateColumn, "column %q specified more than once", c.name)
		}
		seen[c.name] = true
		typ := c.t
		if typ.oid == 0 {
			typ = tText
		}
		if _, ok := typesByOID[typ.oid]; !ok || typ.oid == OIDInterval || typ.oid == OIDRegclass {
			return nil, unsupported("a column of type %s in CREATE TABLE AS is not supported", typname(typ.oid))
		}
		defs = append(defs, quoteIdent(c.name)+" "+declaredType(typ))
		names = append(names, quoteIdent(c.name))
	}
	sqls := []string{"CREATE TABLE " + quoteIdent(rv.Relname) + " (" + strings.Join(defs, ", ") + ")"}
	if !into.SkipData {
		sqls = append(sqls, "INSERT INTO "+quoteIdent(rv.Relname)+" ("+strings.Join(names, ", ")+") "+q.sql)
	}
	t.schemaCh = true
	return t.finish(sqls, nil)
}

// alterTableCmdNames spell ALTER TABLE actions as PostgreSQL's syntax
// does, for error messages; alterTableCmdName derives the others from the
// parse tree's name (AT_SetLogged: "SET LOGGED").
var alterTableCmdNames = map[pg_query.AlterTableType]string{
	pg_query.AlterTableType_AT_AlterColumnType:           "ALTER COLUMN … TYPE",
	pg_query.AlterTableType_AT_SetStatistics:             "ALTER COLUMN … SET STATISTICS",
	pg_query.AlterTableType_AT_SetStorage:                "ALTER COLUMN … SET STORAGE",
	pg_query.AlterTableType_AT_SetCompression:            "ALTER COLUMN … SET COMPRESSION",
	pg_query.AlterTableType_AT_SetOptions:                "ALTER COLUMN … SET (…)",
	pg_query.AlterTableType_AT_ResetOptions:              "ALTER COLUMN … RESET (…)",
	pg_query.AlterTableType_AT_AddIdentity:               "ALTER COLUMN … ADD GENERATED … AS IDENTITY",
	pg_query.AlterTableType_AT_SetIdentity:               "ALTER COLUMN … SET GENERATED",
	pg_query.AlterTableType_AT_DropIdentity:              "ALTER COLUMN … DROP IDENTITY",
	pg_query.AlterTableType_AT_DropExpression:            "ALTER COLUMN … DROP EXPRESSION",
	pg_query.AlterTableType_AT_AlterColumnGenericOptions: "ALTER COLUMN … OPTIONS",
	pg_query.AlterTableType_AT_ChangeOwner:               "OWNER TO",
	pg_query.AlterTableType_AT_SetRelOptions:             "SET (…)",
	pg_query.AlterTableType_AT_ResetRelOptions:           "RESET (…)",
	pg_query.AlterTableType_AT_SetUnLogged:               "SET UNLOGGED",
	pg_query.AlterTableType_AT_AddInherit:                "INHERIT",
	pg_query.AlterTableType_AT_DropInherit:               "NO INHERIT",
	pg_query.AlterTableType_AT_EnableRowSecurity:         "ENABLE ROW LEVEL SECURITY",
	pg_query.AlterTableType_AT_DisableRowSecurity:        "DISABLE ROW LEVEL SECURITY",
	pg_query.AlterTableType_AT_ForceRowSecurity:          "FORCE ROW LEVEL SECURITY",
	pg_query.AlterTableType_AT_NoForceRowSecurity:        "NO FORCE ROW LEVEL SECURITY",
	pg_query.AlterTableType_AT_EnableTrig:                "ENABLE TRIGGER",
	pg_query.AlterTableType_AT_DisableTrig:               "DISABLE TRIGGER",
}

func alterTableCmdName(sub pg_query.AlterTableType) string {
	if s, ok := alterTableCmdNames[sub]; ok {
		return s
	}
	var b strings.Builder
	for i, r := range strings.TrimPrefix(sub.String(), "AT_") {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return strings.ToUpper(b.String())
}
