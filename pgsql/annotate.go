package pgsql

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/replisql/replisql/pgwire/pgerr"
)

// Annotations keep the facts of a table's PostgreSQL definition that
// SQLite's schema does not hold, next to the one SQLite does hold for us
// (each column's declared PostgreSQL type, see declaredType): one row per
// fact in the table __replisql_annotations of the user's database,
//
//	CREATE TABLE "__replisql_annotations" ("rel" text NOT NULL,
//	  "kind" text NOT NULL, "name" text NOT NULL, "value" text NOT NULL,
//	  PRIMARY KEY ("rel", "kind", "name")) WITHOUT ROWID
//
// "rel" is the table's name; by "kind":
//
//   - "constraint": "name" is a constraint's name, "value" a JSON
//     ConstraintNote: its type (c, u, p, f), columns, and for a CHECK
//     the expression as PostgreSQL prints it (checkText). Every CHECK
//     has one (its name is PostgreSQL's, chosen as PostgreSQL chooses
//     it, and also given to SQLite, whose errors then name it); a
//     PRIMARY KEY, UNIQUE or FOREIGN KEY has one when it was named.
//   - "identity": "name" is a column declared GENERATED … AS IDENTITY,
//     "value" "a" (ALWAYS) or "d" (BY DEFAULT).
//   - "comment": COMMENT ON COLUMN ("name" the column) or ON TABLE
//     ("name" "").
//   - "options": "name" "", "value" the storage parameters of WITH (…)
//     as a JSON array of "name=value" (pg_class.reloptions).
//
// The rows are written by the DDL plan that makes the fact true, in its
// transaction, as ordinary SQL: the WAL logs them with the DDL and replay
// (and followers) write them again. DROP TABLE deletes a table's rows,
// ALTER TABLE … RENAME moves them, DROP COLUMN deletes a column's. The
// storage layer loads them with the schema (store.Table.Annotations), so
// they are part of the schema version that plans and catalogs are cached
// by.
const annTable = `"__replisql_annotations"`

// AnnotationTable is the table's name as the storage layer knows it.
const AnnotationTable = "__replisql_annotations"

const annTableDDL = `CREATE TABLE IF NOT EXISTS "__replisql_annotations" ("rel" text NOT NULL, "kind" text NOT NULL, ` +
	`"name" text NOT NULL, "value" text NOT NULL, PRIMARY KEY ("rel", "kind", "name")) WITHOUT ROWID`

// The kinds of annotation.
const (
	AnnConstraint = "constraint"
	AnnIdentity   = "identity"
	AnnComment    = "comment"
	AnnOptions    = "options"
)

// Annotation is one row of __replisql_annotations about a table.
type Annotation struct {
	Kind, Name, Value string
}

// ConstraintNote is the value of a "constraint" annotation.
type ConstraintNote struct {
	Type    string   `json:"type"` // "c", "u", "p" or "f"
	Columns []string `json:"columns,omitempty"`
	// Check is a CHECK's expression as pg_get_constraintdef prints it,
	// without "CHECK (" and ")".
	Check string `json:"check,omitempty"`
}

// DecodeConstraint reads a "constraint" annotation's value.
func DecodeConstraint(value string) (ConstraintNote, bool) {
	var n ConstraintNote
	err := json.Unmarshal([]byte(value), &n)
	return n, err == nil && n.Type != ""
}

// DecodeOptions reads an "options" annotation's value.
func DecodeOptions(value string) []string {
	var o []string
	if json.Unmarshal([]byte(value), &o) != nil {
		return nil
	}
	return o
}

// mustJSON encodes a note as JSON, without escaping <, > and &, which
// CHECK expressions are full of.
func mustJSON(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err) // strings and slices of strings always encode
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// annotate records a fact for the plan being built.
func (t *translator) annotate(rel, kind, name, value string) {
	t.anns = append(t.anns, "INSERT INTO "+annTable+` ("rel", "kind", "name", "value") VALUES (`+
		quoteString(rel)+", "+quoteString(kind)+", "+quoteString(name)+", "+quoteString(value)+
		`) ON CONFLICT ("rel", "kind", "name") DO UPDATE SET "value" = excluded."value"`)
}

// annotations returns the statements that write the facts recorded for
// the plan, after the statements sqls that make them true.
func (t *translator) annotations(sqls []string) []string {
	if len(t.anns) == 0 {
		return sqls
	}
	out := append(sqls, annTableDDL)
	out = append(out, t.anns...)
	t.anns = nil
	return out
}

// hasAnnotations reports whether the database has the annotation table.
func (t *translator) hasAnnotations() bool {
	_, ok := t.schema.Table(AnnotationTable)
	return ok
}

// constraintNames returns the names of tb's annotated constraints.
func constraintNames(tb *Table) map[string]bool {
	names := map[string]bool{}
	if tb == nil {
		return names
	}
	for _, a := range tb.Annotations {
		if a.Kind == AnnConstraint {
			names[a.Name] = true
		}
	}
	return names
}

// chooseCheckName names an unnamed CHECK constraint as PostgreSQL does
// (ChooseConstraintName): TABLE_COLUMN_check when the expression uses one
// column, else TABLE_check, with a number added until the name is new.
func chooseCheckName(table string, cols []string, used map[string]bool) string {
	col := ""
	if len(cols) == 1 {
		col = cols[0]
	}
	for i := 0; ; i++ {
		suffix := "check"
		if i > 0 {
			suffix += strconv.Itoa(i)
		}
		name := makeObjectName(table, col, suffix)
		if !used[name] {
			used[name] = true
			return name
		}
	}
}

// makeObjectName joins name1, name2 and label with underscores, cutting
// the longer of name1 and name2 until the result fits in 63 bytes, as
// PostgreSQL's makeObjectName does.
func makeObjectName(name1, name2, label string) string {
	n1, n2 := name1, name2
	over := func() int {
		l := len(n1) + len(label) + 1
		if n2 != "" {
			l += len(n2) + 1
		}
		return l - 63
	}
	for over() > 0 {
		if len(n1) > len(n2) {
			n1 = n1[:len(n1)-1]
		} else {
			n2 = n2[:len(n2)-1]
		}
	}
	if n2 != "" {
		return n1 + "_" + n2 + "_" + label
	}
	return n1 + "_" + label
}

// columnsUsed lists the columns an expression refers to, each once, in
// the order they first appear in its text.
func columnsUsed(n *pg_query.Node) []string {
	if n == nil {
		return nil
	}
	var refs []*pg_query.ColumnRef
	walk(n.ProtoReflect(), func(m protoreflect.Message) bool {
		if cr, ok := m.Interface().(*pg_query.ColumnRef); ok {
			refs = append(refs, cr)
			return false
		}
		return true
	})
	slices.SortStableFunc(refs, func(a, b *pg_query.ColumnRef) int { return int(a.Location - b.Location) })
	var cols []string
	for _, cr := range refs {
		names := nameList(cr.Fields)
		if len(names) > 0 && !slices.Contains(cols, names[len(names)-1]) {
			cols = append(cols, names[len(names)-1])
		}
	}
	return cols
}

// annotateKey records the name of a PRIMARY KEY, UNIQUE or FOREIGN KEY
// constraint on cols when it has one.
func (t *translator) annotateKey(table string, con *pg_query.Constraint, cols []string, used map[string]bool) {
	if con.Conname == "" {
		return
	}
	typ := map[pg_query.ConstrType]string{pg_query.ConstrType_CONSTR_PRIMARY: "p", pg_query.ConstrType_CONSTR_UNIQUE: "u",
		pg_query.ConstrType_CONSTR_FOREIGN: "f"}[con.Contype]
	used[con.Conname] = true
	t.annotate(table, AnnConstraint, con.Conname, mustJSON(ConstraintNote{Type: typ, Columns: cols}))
}

// checkConstraint translates a CHECK constraint of table: the SQLite
// clause (named, so that SQLite's errors name it) and its name, and
// records its annotation.
func (t *translator) checkConstraint(table string, con *pg_query.Constraint, sc *scope, used map[string]bool) (string, string, error) {
	if con.IsNoInherit {
		return "", "", unsupported("NO INHERIT constraints are not supported")
	}
	e, err := t.ddlExpr(con.RawExpr, sc)
	if err != nil {
		return "", "", err
	}
	cols := columnsUsed(con.RawExpr)
	name := con.Conname
	if name == "" {
		name = chooseCheckName(table, cols, used)
	} else if used[name] {
		return "", "", pgerr.New(pgerr.DuplicateObject, "constraint %q for relation %q already exists", name, table)
	}
	used[name] = true
	t.annotate(table, AnnConstraint, name, mustJSON(ConstraintNote{Type: "c", Columns: cols, Check: t.checkText(con.RawExpr, sc)}))
	return "CONSTRAINT " + quoteIdent(name) + " CHECK (" + e + ")", name, nil
}

// tableOptions records CREATE TABLE's WITH (…) storage parameters.
func (t *translator) tableOptions(table string, opts []*pg_query.Node) error {
	var out []string
	for _, o := range opts {
		d := o.GetDefElem()
		switch d.GetDefname() {
		case "fillfactor", "autovacuum_enabled", "toast_tuple_target", "parallel_workers",
			"autovacuum_vacuum_scale_factor", "autovacuum_analyze_scale_factor":
		default:
			return unsupported("table option %q is not supported", d.GetDefname())
		}
		v := "true"
		if d.Arg != nil {
			v = defString(d.Arg)
		}
		out = append(out, d.Defname+"="+v)
	}
	if len(out) > 0 {
		t.annotate(table, AnnOptions, "", mustJSON(out))
	}
	return nil
}

// defString is a DefElem argument as PostgreSQL's defGetString reads it.
func defString(n *pg_query.Node) string {
	switch x := n.Node.(type) {
	case *pg_query.Node_Integer:
		return strconv.Itoa(int(x.Integer.Ival))
	case *pg_query.Node_Float:
		return x.Float.Fval
	case *pg_query.Node_String_:
		return x.String_.Sval
	case *pg_query.Node_Boolean:
		if x.Boolean.Boolval {
			return "true"
		}
		return "false"
	case *pg_query.Node_TypeName:
		names := nameList(x.TypeName.Names)
		return strings.Join(names, ".")
	}
	return strNode(n)
}

// commentStmt records COMMENT ON TABLE and COMMENT ON COLUMN; comments on
// other objects are accepted and dropped.
func (t *translator) commentStmt(s *pg_query.CommentStmt) (*Plan, error) {
	var table, column string
	switch s.Objtype {
	case pg_query.ObjectType_OBJECT_TABLE:
		names := nameList(s.Object.GetList().GetItems())
		table = names[len(names)-1]
	case pg_query.ObjectType_OBJECT_COLUMN:
		names := nameList(s.Object.GetList().GetItems())
		if len(names) < 2 {
			return nil, pgerr.New(pgerr.SyntaxError, "column name must be qualified")
		}
		table, column = names[len(names)-2], names[len(names)-1]
	default:
		return t.finish(nil, nil)
	}
	tb, ok := t.schema.Table(table)
	if !ok {
		return nil, pgerr.New(pgerr.UndefinedTable, "relation %q does not exist", table)
	}
	if column != "" && columnIndex(tb, column) < 0 {
		return nil, pgerr.New(pgerr.UndefinedColumn, "column %q of relation %q does not exist", column, tb.Name)
	}
	t.schemaCh = true
	if s.Comment == "" {
		if !t.hasAnnotations() {
			return t.finish(nil, nil)
		}
		return t.finish([]string{"DELETE FROM " + annTable + ` WHERE "rel" = ` + quoteString(tb.Name) +
			` AND "kind" = 'comment' AND "name" = ` + quoteString(column)}, nil)
	}
	t.annotate(tb.Name, AnnComment, column, s.Comment)
	return t.finish(t.annotations(nil), nil)
}

// dropAnnotations deletes a dropped table's annotations.
func (t *translator) dropAnnotations(table string) []string {
	if !t.hasAnnotations() {
		return nil
	}
	return []string{"DELETE FROM " + annTable + ` WHERE "rel" = ` + quoteString(table)}
}

// renameAnnotations follows ALTER TABLE … RENAME (TO, COLUMN).
func (t *translator) renameAnnotations(tb *Table, oldCol, newName string) []string {
	if !t.hasAnnotations() || len(tb.Annotations) == 0 {
		return nil
	}
	rel := quoteString(tb.Name)
	if oldCol == "" {
		return []string{"UPDATE " + annTable + ` SET "rel" = ` + quoteString(newName) + ` WHERE "rel" = ` + rel}
	}
	var sqls []string
	for _, a := range tb.Annotations {
		switch a.Kind {
		case AnnIdentity, AnnComment:
			if a.Name == oldCol {
				sqls = append(sqls, "UPDATE "+annTable+` SET "name" = `+quoteString(newName)+` WHERE "rel" = `+rel+
					` AND "kind" = `+quoteString(a.Kind)+` AND "name" = `+quoteString(oldCol))
			}
		case AnnConstraint:
			n, ok := DecodeConstraint(a.Value)
			if !ok || !slices.Contains(n.Columns, oldCol) {
				continue
			}
			for i := range n.Columns {
				if n.Columns[i] == oldCol {
					n.Columns[i] = newName
				}
			}
			n.Check = renameIdent(n.Check, oldCol, newName)
			sqls = append(sqls, "UPDATE "+annTable+` SET "value" = `+quoteString(mustJSON(n))+` WHERE "rel" = `+rel+
				` AND "kind" = 'constraint' AND "name" = `+quoteString(a.Name))
		}
	}
	return sqls
}

// dropColumnAnnotations deletes what is recorded about a dropped column
// (SQLite refuses to drop a column that other constraints use).
func (t *translator) dropColumnAnnotations(tb *Table, col string) []string {
	var sqls []string
	for _, a := range tb.Annotations {
		drop := (a.Kind == AnnIdentity || a.Kind == AnnComment) && a.Name == col
		if n, ok := DecodeConstraint(a.Value); ok && a.Kind == AnnConstraint {
			drop = slices.Equal(n.Columns, []string{col})
		}
		if drop {
			sqls = append(sqls, "DELETE FROM "+annTable+` WHERE "rel" = `+quoteString(tb.Name)+
				` AND "kind" = `+quoteString(a.Kind)+` AND "name" = `+quoteString(a.Name))
		}
	}
	return sqls
}

// renameIdent replaces the identifier old by new in an expression as
// PostgreSQL prints it, outside string literals and function names.
func renameIdent(s, old, new string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\'':
			j := closingQuote(s, i)
			b.WriteString(s[i:min(j+1, len(s))])
			i = j + 1
		case c == '"' || c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j, name := i+1, ""
			if c == '"' {
				j = closingQuote(s, i)
				name = strings.ReplaceAll(s[i+1:min(j, len(s))], `""`, `"`)
				j++
			} else {
				for j < len(s) && (s[j] == '_' || s[j] == '$' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= '0' && s[j] <= '9') {
					j++
				}
				name = s[i:j]
			}
			afterCast := i >= 2 && s[i-2:i] == "::"
			call := j < len(s) && s[j] == '('
			if name == old && !afterCast && !call {
				b.WriteString(pgQuoteIdent(new))
			} else {
				b.WriteString(s[i:min(j, len(s))])
			}
			i = j
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}
