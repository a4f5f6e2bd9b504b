package pgsql

import (
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/replisql/replisql/pgwire/pgerr"
)

// planCacheSize bounds the plans kept per statement (one per schema
// version and parameter-type combination in practice).
const planCacheSize = 8

// planCache holds a statement's plans.
type planCache struct {
	mu    sync.Mutex // guards plans
	plans map[planKey]*Plan
}

type planKey struct {
	version uint64
	params  string // the client's parameter OIDs, encoded
}

func newPlanCache() *planCache { return &planCache{plans: make(map[planKey]*Plan)} }

func (c *planCache) get(k planKey) *Plan {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.plans[k]
}

func (c *planCache) put(k planKey, p *Plan) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.plans) >= planCacheSize {
		for old := range c.plans {
			if old.version != k.version {
				delete(c.plans, old)
			}
		}
		if len(c.plans) >= planCacheSize {
			clear(c.plans)
		}
	}
	c.plans[k] = p
}

func oidsKey(oids []uint32) string {
	if len(oids) == 0 {
		return ""
	}
	b := make([]byte, 0, len(oids)*5)
	for _, o := range oids {
		b = strconv.AppendUint(b, uint64(o), 10)
		b = append(b, ',')
	}
	return string(b)
}

// Plan translates the statement for SQLite against schema. paramOIDs are
// the parameter types the client gave (0: infer). Plans are cached per
// (statement, schema version, parameter types) and shared: callers MUST
// NOT modify them. Every statement of Plan.SQL MUST run in the same
// SQLite transaction. Errors are *pgerr.Error.
func (s *Statement) Plan(schema Schema, paramOIDs []uint32) (*Plan, error) {
	var key planKey
	if s.plans != nil {
		key = planKey{schema.Version(), oidsKey(paramOIDs)}
		if p := s.plans.get(key); p != nil {
			return p, nil
		}
	}
	p, err := s.plan(schema, paramOIDs)
	if err != nil {
		return nil, err
	}
	if s.plans != nil {
		s.plans.put(key, p)
	}
	return p, nil
}

func (s *Statement) plan(schema Schema, paramOIDs []uint32) (*Plan, error) {
	t := newTranslator(s, schema, paramOIDs)
	switch s.Kind {
	case KindEmpty, KindTxn, KindSet:
		if s.Txn != nil && s.Txn.Op == TxnPrepare {
			return nil, pgerr.New(pgerr.FeatureNotSupported, "%s is not supported", s.Tag)
		}
		return t.finish(nil, nil)
	case KindShow:
		if s.Show.Name == "all" {
			return t.finish(nil, []Column{{Name: "name", TypeOID: OIDText, TypeMod: -1},
				{Name: "setting", TypeOID: OIDText, TypeMod: -1}, {Name: "description", TypeOID: OIDText, TypeMod: -1}})
		}
		return t.finish(nil, []Column{{Name: s.Show.Name, TypeOID: OIDText, TypeMod: -1}})
	}
	n, _ := s.node.(*pg_query.Node)
	if n == nil {
		return nil, pgerr.New(pgerr.InternalError, "statement has no parse tree")
	}
	return t.statement(n)
}

// translator turns one statement's parse tree into a Plan.
type translator struct {
	st     *Statement
	schema Schema
	given  []uint32
	params []uint32 // inferred types of $1…$n; 0 while unknown

	extras   []SessionValue
	notices  []*pgerr.Error
	schemaCh bool
	// catalog is set when the statement reads the catalog emulation (a
	// relation or a function of it).
	catalog bool

	// ddl is set while translating expressions stored in the schema
	// (DEFAULT, CHECK): they may not use parameters or session values.
	ddl bool

	ctes []map[string]*rel // visible WITH queries, innermost last

	// randomOK is set where each call site of random() or
	// gen_random_uuid() is evaluated once per row that randomRow (SQL,
	// may be "") tells apart; randN numbers the call sites.
	randomOK  bool
	randomRow string
	randN     int

	seqUses []*seqUse // nextval() call sites per sequence
	seqPre  []string  // statements setval() runs first
	// trigPre pins the session values that triggers read (trigger.go);
	// inTrigger is set while translating a trigger function's statement.
	trigPre   string
	inTrigger bool
	gsN       int // counter for generated names
	// charLoc is the character offset of the statement in its query.
	charLoc int
	// anns are the annotation writes of a DDL plan (annotate.go).
	anns []string
}

func newTranslator(s *Statement, schema Schema, given []uint32) *translator {
	t := &translator{st: s, schema: schema, given: given, charLoc: s.charLoc}
	t.params = make([]uint32, len(given))
	copy(t.params, given)
	return t
}

// pos converts a parse-tree byte location into an error Position.
func (t *translator) pos(loc int32) int32 {
	if loc < 0 || t.st == nil {
		return 0
	}
	off := int(loc) - t.st.Location
	if off < 0 || off > len(t.st.Text) {
		return 0
	}
	return int32(t.charLoc + utf8.RuneCountInString(t.st.Text[:off]) + 1)
}

func (t *translator) errAt(loc int32, code pgerr.Code, format string, args ...any) *pgerr.Error {
	e := pgerr.New(code, format, args...)
	e.Position = t.pos(loc)
	return e
}

func unsupported(format string, args ...any) *pgerr.Error {
	return pgerr.New(pgerr.FeatureNotSupported, format, args...)
}

// extraMarker is replaced by ?N once the number of client parameters is
// known.
const extraMarker = "\x00X"

func (t *translator) extra(v SessionValue) (string, error) {
	if t.ddl {
		return "", unsupported("session values are not supported in this context")
	}
	for i, e := range t.extras {
		if e == v {
			return extraMarker + strconv.Itoa(i) + "\x00", nil
		}
	}
	t.extras = append(t.extras, v)
	return extraMarker + strconv.Itoa(len(t.extras)-1) + "\x00", nil
}

func (t *translator) useParam(n int) error {
	if t.ddl {
		return pgerr.New(pgerr.UndefinedParameter, "there is no parameter $%d", n)
	}
	if n < 1 || n > 65535 {
		return pgerr.New(pgerr.UndefinedParameter, "there is no parameter $%d", n)
	}
	for len(t.params) < n {
		t.params = append(t.params, 0)
	}
	return nil
}

// setParam records that $n has type oid, unless it already has one.
func (t *translator) setParam(n int, typ pgType) {
	if n < 1 || n > len(t.params) || typ.oid == 0 {
		return
	}
	if t.params[n-1] == 0 {
		o := typ.oid
		if o == OIDUnknown {
			return
		}
		t.params[n-1] = o
	}
}

func (t *translator) paramType(n int) pgType {
	if n >= 1 && n <= len(t.params) && t.params[n-1] != 0 {
		return pgType{t.params[n-1], -1}
	}
	return tUnknown
}

// finish assembles the plan: numbers the session values after the
// client's parameters and defaults unknown parameter types to text.
func (t *translator) finish(sqls []string, cols []Column) (*Plan, error) {
	sqls = t.annotations(sqls)
	if len(t.seqPre) > 0 {
		sqls = append(append([]string{}, t.seqPre...), sqls...)
	}
	sqls = t.seqStatements(sqls)
	if t.trigPre != "" {
		sqls = append([]string{t.trigPre}, sqls...)
	}
	n := len(t.params)
	for i, s := range sqls {
		if strings.Contains(s, extraMarker) {
			for k := range t.extras {
				s = strings.ReplaceAll(s, extraMarker+strconv.Itoa(k)+"\x00", "?"+strconv.Itoa(n+k+1))
			}
			sqls[i] = s
		}
	}
	params := make([]uint32, n)
	for i, o := range t.params {
		if o == 0 {
			o = OIDText
		}
		params[i] = o
	}
	return &Plan{SQL: sqls, Params: params, Extra: t.extras, Columns: cols, SchemaChange: t.schemaCh, Notices: t.notices, UsesCatalog: t.catalog}, nil
}

func (t *translator) statement(n *pg_query.Node) (*Plan, error) {
	if err := t.triggerPlan(n); err != nil {
		return nil, err
	}
	switch x := n.Node.(type) {
	case *pg_query.Node_SelectStmt:
		if into := x.SelectStmt.IntoClause; into != nil {
			// SELECT … INTO t is CREATE TABLE t AS SELECT ….
			sel := proto.Clone(x.SelectStmt).(*pg_query.SelectStmt)
			sel.IntoClause = nil
			return t.createTableAs(into, sel, false)
		}
		// SELECT without FROM evaluates each call site once.
		t.randomOK = true
		q, err := t.selectStmt(x.SelectStmt, nil, nil)
		if err != nil {
			return nil, err
		}
		return t.finish([]string{q.sql}, q.columns())
	case *pg_query.Node_InsertStmt:
		return t.insertStmt(x.InsertStmt)
	case *pg_query.Node_UpdateStmt:
		return t.updateStmt(x.UpdateStmt)
	case *pg_query.Node_DeleteStmt:
		return t.deleteStmt(x.DeleteStmt)
	case *pg_query.Node_CreateStmt:
		return t.createTable(x.CreateStmt)
	case *pg_query.Node_DropStmt:
		if rt := x.DropStmt.RemoveType; rt == pg_query.ObjectType_OBJECT_TRIGGER || rt == pg_query.ObjectType_OBJECT_FUNCTION {
			return t.dropTriggerOrFunction(x.DropStmt)
		}
		return t.dropStmt(x.DropStmt)
	case *pg_query.Node_CreateFunctionStmt:
		return t.createFunction(x.CreateFunctionStmt)
	case *pg_query.Node_CreateTrigStmt:
		return t.createTrigger(x.CreateTrigStmt)
	case *pg_query.Node_TruncateStmt:
		return t.truncateStmt(x.TruncateStmt)
	case *pg_query.Node_IndexStmt:
		return t.createIndex(x.IndexStmt)
	case *pg_query.Node_AlterTableStmt:
		return t.alterTable(x.AlterTableStmt)
	case *pg_query.Node_RenameStmt:
		return t.renameStmt(x.RenameStmt)
	case *pg_query.Node_VacuumStmt:
		return t.vacuumStmt(x.VacuumStmt)
	case *pg_query.Node_CommentStmt:
		return t.commentStmt(x.CommentStmt)
	case *pg_query.Node_CopyStmt:
		return t.copyStmt(x.CopyStmt)
	case *pg_query.Node_DeclareCursorStmt:
		q := t.st.Cursor.Query
		return q.plan(t.schema, t.given)
	case *pg_query.Node_FetchStmt, *pg_query.Node_ClosePortalStmt, *pg_query.Node_DeallocateStmt,
		*pg_query.Node_CheckPointStmt, *pg_query.Node_DiscardStmt, *pg_query.Node_UnlistenStmt:
		return t.finish(nil, nil)
	case *pg_query.Node_ListenStmt:
		return nil, unsupported("LISTEN is not supported")
	case *pg_query.Node_NotifyStmt:
		return nil, unsupported("NOTIFY is not supported")
	case *pg_query.Node_MergeStmt:
		return nil, unsupported("MERGE is not supported")
	case *pg_query.Node_CreateTableAsStmt:
		c := x.CreateTableAsStmt
		if c.Objtype != pg_query.ObjectType_OBJECT_TABLE {
			return nil, unsupported("materialized views are not supported")
		}
		sel := c.Query.GetSelectStmt()
		if sel == nil {
			return nil, unsupported("CREATE TABLE AS EXECUTE is not supported")
		}
		return t.createTableAs(c.Into, sel, c.IfNotExists)
	case *pg_query.Node_CreateSeqStmt:
		return t.createSequence(x.CreateSeqStmt)
	case *pg_query.Node_AlterSeqStmt:
		return nil, unsupported("ALTER SEQUENCE is not supported")
	case *pg_query.Node_ViewStmt:
		return nil, unsupported("views are not supported")
	case *pg_query.Node_ExplainStmt:
		return nil, unsupported("EXPLAIN is not supported")
	}
	return nil, unsupported("%s is not supported", t.st.Tag)
}

// copyStmt plans COPY: FROM STDIN becomes an INSERT of one row with a
// parameter per column (Params are the column types); TO STDOUT becomes
// the query. Columns describe the copied columns either way.
func (t *translator) copyStmt(c *pg_query.CopyStmt) (*Plan, error) {
	if c.Filename != "" || c.IsProgram {
		return nil, pgerr.New(pgerr.InsufficientPrivilege, "COPY to or from a file is not supported")
	}
	if c.Query != nil {
		if c.IsFrom {
			return nil, unsupported("COPY FROM a query is not supported")
		}
		q, err := t.selectStmt(c.Query.GetSelectStmt(), nil, nil)
		if err != nil {
			return nil, err
		}
		return t.finish([]string{q.sql}, q.columns())
	}
	tb, err := t.table(c.Relation)
	if err != nil {
		return nil, err
	}
	cols, err := t.targetColumns(tb, c.Attlist)
	if err != nil {
		return nil, err
	}
	var out []Column
	for _, ci := range cols {
		col := tb.Columns[ci]
		oid, mod := columnType(&col)
		out = append(out, Column{Name: col.Name, TypeOID: oid, TypeMod: mod, TableOID: tb.OID, AttNum: int16(ci + 1)})
	}
	if !c.IsFrom {
		var b strings.Builder
		b.WriteString("SELECT ")
		for i, ci := range cols {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(quoteIdent(tb.Columns[ci].Name))
		}
		b.WriteString(" FROM " + quoteIdent(tb.Name))
		return t.finish([]string{b.String()}, out)
	}
	// COPY FROM: an INSERT with one parameter per column.
	var b strings.Builder
	listed := map[int]bool{}
	for _, ci := range cols {
		listed[ci] = true
	}
	var nowCols []int
	for i := range tb.Columns {
		if !listed[i] && nowDefault(&tb.Columns[i]) {
			nowCols = append(nowCols, i)
		}
	}
	b.WriteString("INSERT INTO " + quoteIdent(tb.Name) + " (")
	for i, ci := range append(append([]int{}, cols...), nowCols...) {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quoteIdent(tb.Columns[ci].Name))
	}
	b.WriteString(") VALUES (")
	for i, ci := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		col := tb.Columns[ci]
		ct := colType(&col)
		_ = t.useParam(i + 1)
		t.setParam(i+1, ct)
		// COPY values may arrive in their text form: every non-text
		// column converts (and checks) its input.
		v := "?" + strconv.Itoa(i+1)
		if ct.oid != OIDText {
			v = "pg_cast(" + v + ", 0, " + strconv.Itoa(int(ct.oid)) + ", " + strconv.Itoa(int(ct.mod)) + ", 0)"
		}
		b.WriteString(rowidCheck(tb, &col, v))
	}
	t.randomOK = true
	for _, ci := range nowCols {
		s, err := t.defaultSQL(&tb.Columns[ci], "")
		if err != nil {
			return nil, err
		}
		b.WriteString(", " + s)
	}
	b.WriteString(")")
	p, err := t.finish([]string{b.String()}, out)
	return p, err
}
