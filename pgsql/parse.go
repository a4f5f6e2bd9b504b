package pgsql

import (
	"container/list"
	"errors"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"github.com/pganalyze/pg_query_go/v6/parser"

	"github.com/replisql/replisql/pgwire/pgerr"
)

// parseCacheSize bounds the number of query texts whose parse results are
// kept, and parseCacheBytes the sum of their lengths: a parse tree takes
// about 60 times the memory of its text, so the byte bound keeps the
// cache near 250 MB at most.
const (
	parseCacheSize  = 4096
	parseCacheBytes = 4 << 20
)

// maxCachedQuery is the longest query text that is cached; longer texts
// (bulk INSERTs with their values inline) are parsed every time.
const maxCachedQuery = 4 << 10

var parses = newLRU(parseCacheSize, parseCacheBytes)

// Parse splits query into statements and classifies each. Results are
// cached by query text and shared: callers MUST NOT modify them. A query
// with no statements (empty, only comments or semicolons) returns one
// statement of KindEmpty. A syntax error is a *pgerr.Error 42601 with the
// 1-based character Position of the error.
func Parse(query string) ([]*Statement, error) {
	if len(query) <= maxCachedQuery {
		if v, ok := parses.get(query); ok {
			return v.([]*Statement), nil
		}
	}
	stmts, err := parse(query)
	if err != nil {
		return nil, err
	}
	if len(query) <= maxCachedQuery {
		parses.add(query, stmts)
	}
	return stmts, nil
}

func parse(query string) ([]*Statement, error) {
	tree, err := pg_query.Parse(query)
	if err != nil {
		return nil, parseError(query, err)
	}
	if len(tree.Stmts) == 0 {
		return []*Statement{{Kind: KindEmpty, ReadOnly: true}}, nil
	}
	out := make([]*Statement, 0, len(tree.Stmts))
	for _, raw := range tree.Stmts {
		loc := int(raw.StmtLocation)
		end := len(query)
		if raw.StmtLen > 0 {
			end = loc + int(raw.StmtLen)
		}
		text := query[loc:end]
		trimmed := strings.TrimLeft(text, " \t\r\n\f")
		loc += len(text) - len(trimmed)
		text = strings.TrimRight(trimmed, " \t\r\n\f;")
		st := &Statement{Text: text, Location: loc, node: raw.Stmt, plans: newPlanCache(),
			charLoc: utf8.RuneCountInString(query[:loc])}
		if err := classify(st, raw.Stmt); err != nil {
			return nil, err
		}
		if err := classifySetConfig(st, raw.Stmt); err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

func parseError(query string, err error) error {
	var pe *parser.Error
	if errors.As(err, &pe) {
		e := &pgerr.Error{Code: pgerr.SyntaxError, Message: pe.Message, Cause: err}
		if pe.Cursorpos > 0 {
			// PostgreSQL's cursor position already counts characters.
			e.Position = int32(pe.Cursorpos)
		}
		if strings.HasPrefix(pe.Message, "unterminated") || strings.Contains(pe.Message, "invalid") && !strings.Contains(pe.Message, "syntax") {
			// Lexer errors other than syntax keep 42601 as PostgreSQL
			// does for most of them.
			e.Code = pgerr.SyntaxError
		}
		return e
	}
	return pgerr.Wrap(err, pgerr.SyntaxError, "%s", err.Error())
}

// lru is a bounded, concurrency-safe least-recently-used cache, bounded
// in entries and in the total length of its keys.
type lru struct {
	mu       sync.Mutex // guards the fields below
	max      int
	maxBytes int
	bytes    int
	ll       *list.List
	items    map[string]*list.Element
}

type lruEntry struct {
	key string
	val any
}

func newLRU(max, maxBytes int) *lru {
	return &lru{max: max, maxBytes: maxBytes, ll: list.New(), items: make(map[string]*list.Element)}
}

func (c *lru) get(key string) (any, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		c.ll.MoveToFront(e)
		return e.Value.(*lruEntry).val, true
	}
	return nil, false
}

func (c *lru) add(key string, val any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		c.ll.MoveToFront(e)
		e.Value.(*lruEntry).val = val
		return
	}
	c.items[key] = c.ll.PushFront(&lruEntry{key, val})
	c.bytes += len(key)
	for c.ll.Len() > c.max || c.bytes > c.maxBytes && c.ll.Len() > 1 {
		last := c.ll.Back()
		c.ll.Remove(last)
		k := last.Value.(*lruEntry).key
		delete(c.items, k)
		c.bytes -= len(k)
	}
}

// ---- classification ----

func classify(st *Statement, n *pg_query.Node) error {
	st.ReadOnly = false
	switch x := n.Node.(type) {
	case *pg_query.Node_SelectStmt:
		st.Kind, st.Tag = KindSelect, "SELECT"
		st.ReadOnly, st.NodeLocal = queryTraits(n)
		if x.SelectStmt.IntoClause != nil {
			st.Kind = KindDDL
			st.ReadOnly = false
		}
	case *pg_query.Node_InsertStmt:
		st.Kind, st.Tag = KindDML, "INSERT"
	case *pg_query.Node_UpdateStmt:
		st.Kind, st.Tag = KindDML, "UPDATE"
	case *pg_query.Node_DeleteStmt:
		st.Kind, st.Tag = KindDML, "DELETE"
	case *pg_query.Node_MergeStmt:
		st.Kind, st.Tag = KindDML, "MERGE"
	case *pg_query.Node_TransactionStmt:
		classifyTxn(st, x.TransactionStmt)
	case *pg_query.Node_VariableSetStmt:
		classifySet(st, x.VariableSetStmt)
	case *pg_query.Node_AlterSystemStmt:
		if x.AlterSystemStmt.Setstmt == nil {
			return unsupported("ALTER SYSTEM without a setting")
		}
		classifySet(st, x.AlterSystemStmt.Setstmt)
		st.Tag, st.Set.System = "ALTER SYSTEM", true
	case *pg_query.Node_VariableShowStmt:
		st.Kind, st.Tag, st.ReadOnly = KindShow, "SHOW", true
		st.Show = &ShowStmt{Name: strings.ToLower(x.VariableShowStmt.Name)}
	case *pg_query.Node_CopyStmt:
		return classifyCopy(st, x.CopyStmt)
	case *pg_query.Node_DeclareCursorStmt:
		d := x.DeclareCursorStmt
		st.Kind, st.Tag = KindCursor, "DECLARE CURSOR"
		q := &Statement{Text: st.Text, Location: st.Location, node: d.Query, plans: newPlanCache(), charLoc: st.charLoc}
		if err := classify(q, d.Query); err != nil {
			return err
		}
		st.ReadOnly = q.ReadOnly
		st.Cursor = &CursorStmt{Op: CursorDeclare, Name: d.Portalname, Hold: d.Options&0x0020 != 0, Query: q, Count: -1, Forward: true}
	case *pg_query.Node_FetchStmt:
		f := x.FetchStmt
		st.Kind, st.ReadOnly = KindCursor, true
		c := &CursorStmt{Op: CursorFetch, Name: f.Portalname, Count: f.HowMany, Forward: f.Direction == pg_query.FetchDirection_FETCH_FORWARD}
		st.Tag = "FETCH"
		if f.Ismove {
			c.Op, st.Tag = CursorMove, "MOVE"
		}
		if f.HowMany == 1<<63-1 {
			c.Count = -1
		}
		if f.Direction == pg_query.FetchDirection_FETCH_BACKWARD && f.HowMany == 0 {
			c.Forward = false
		}
		st.Cursor = c
	case *pg_query.Node_ClosePortalStmt:
		st.Kind, st.ReadOnly, st.Tag = KindCursor, true, "CLOSE CURSOR"
		if x.ClosePortalStmt.Portalname == "" {
			st.Tag = "CLOSE CURSOR ALL"
		}
		st.Cursor = &CursorStmt{Op: CursorClose, Name: x.ClosePortalStmt.Portalname, Forward: true}
	case *pg_query.Node_PrepareStmt:
		st.Kind, st.Tag, st.ReadOnly = KindPrepare, "PREPARE", true
	case *pg_query.Node_ExecuteStmt:
		st.Kind, st.Tag = KindPrepare, "EXECUTE"
	case *pg_query.Node_DeallocateStmt:
		st.Kind, st.Tag, st.ReadOnly = KindPrepare, "DEALLOCATE", true
		st.Prepared = x.DeallocateStmt.Name
		if x.DeallocateStmt.Name == "" {
			st.Tag = "DEALLOCATE ALL"
		}
	case *pg_query.Node_CreateStmt:
		st.Kind, st.Tag = KindDDL, "CREATE TABLE"
	case *pg_query.Node_CreateTableAsStmt:
		st.Kind, st.Tag = KindDDL, "SELECT"
		if x.CreateTableAsStmt.Objtype == pg_query.ObjectType_OBJECT_MATVIEW {
			st.Tag = "CREATE MATERIALIZED VIEW"
		}
	case *pg_query.Node_IndexStmt:
		st.Kind, st.Tag = KindDDL, "CREATE INDEX"
	case *pg_query.Node_DropStmt:
		st.Kind, st.Tag = KindDDL, "DROP "+objectTypeName(x.DropStmt.RemoveType)
	case *pg_query.Node_AlterTableStmt:
		st.Kind, st.Tag = KindDDL, "ALTER "+objectTypeName(x.AlterTableStmt.Objtype)
	case *pg_query.Node_RenameStmt:
		t := x.RenameStmt.RenameType
		if t == pg_query.ObjectType_OBJECT_COLUMN || t == pg_query.ObjectType_OBJECT_TABCONSTRAINT {
			t = x.RenameStmt.RelationType
		}
		st.Kind, st.Tag = KindDDL, "ALTER "+objectTypeName(t)
	case *pg_query.Node_TruncateStmt:
		st.Kind, st.Tag = KindDDL, "TRUNCATE TABLE"
	case *pg_query.Node_CommentStmt:
		st.Kind, st.Tag = KindDDL, "COMMENT"
	case *pg_query.Node_CreateSeqStmt:
		st.Kind, st.Tag = KindDDL, "CREATE SEQUENCE"
	case *pg_query.Node_AlterSeqStmt:
		st.Kind, st.Tag = KindDDL, "ALTER SEQUENCE"
	case *pg_query.Node_ViewStmt:
		st.Kind, st.Tag = KindDDL, "CREATE VIEW"
	case *pg_query.Node_CreateSchemaStmt:
		st.Kind, st.Tag = KindDDL, "CREATE SCHEMA"
	case *pg_query.Node_CreateExtensionStmt:
		st.Kind, st.Tag = KindDDL, "CREATE EXTENSION"
	case *pg_query.Node_CreateFunctionStmt:
		st.Kind, st.Tag = KindDDL, "CREATE FUNCTION"
	case *pg_query.Node_CreateTrigStmt:
		st.Kind, st.Tag = KindDDL, "CREATE TRIGGER"
	case *pg_query.Node_CreateEnumStmt:
		st.Kind, st.Tag = KindDDL, "CREATE TYPE"
	case *pg_query.Node_CompositeTypeStmt:
		st.Kind, st.Tag = KindDDL, "CREATE TYPE"
	case *pg_query.Node_CreateDomainStmt:
		st.Kind, st.Tag = KindDDL, "CREATE DOMAIN"
	case *pg_query.Node_GrantStmt:
		st.Kind, st.Tag = KindDDL, "GRANT"
		if !x.GrantStmt.IsGrant {
			st.Tag = "REVOKE"
		}
	case *pg_query.Node_CreateRoleStmt:
		st.Kind, st.Tag = KindDDL, "CREATE ROLE"
	case *pg_query.Node_VacuumStmt:
		st.Kind, st.Tag = KindUtility, "VACUUM"
		if !x.VacuumStmt.IsVacuumcmd {
			st.Tag = "ANALYZE"
		}
	case *pg_query.Node_ExplainStmt:
		st.Kind, st.Tag = KindUtility, "EXPLAIN"
	case *pg_query.Node_ListenStmt:
		st.Kind, st.Tag = KindUtility, "LISTEN"
	case *pg_query.Node_UnlistenStmt:
		st.Kind, st.Tag, st.ReadOnly = KindUtility, "UNLISTEN", true
	case *pg_query.Node_NotifyStmt:
		st.Kind, st.Tag = KindUtility, "NOTIFY"
	case *pg_query.Node_DiscardStmt:
		st.Kind, st.ReadOnly = KindUtility, true
		switch x.DiscardStmt.Target {
		case pg_query.DiscardMode_DISCARD_ALL:
			st.Tag = "DISCARD ALL"
		case pg_query.DiscardMode_DISCARD_PLANS:
			st.Tag = "DISCARD PLANS"
		case pg_query.DiscardMode_DISCARD_SEQUENCES:
			st.Tag = "DISCARD SEQUENCES"
		default:
			st.Tag = "DISCARD TEMP"
		}
	case *pg_query.Node_CheckPointStmt:
		st.Kind, st.Tag = KindUtility, "CHECKPOINT"
	case *pg_query.Node_LockStmt:
		st.Kind, st.Tag = KindUtility, "LOCK TABLE"
	case *pg_query.Node_DoStmt:
		st.Kind, st.Tag = KindUtility, "DO"
	case *pg_query.Node_CallStmt:
		st.Kind, st.Tag = KindUtility, "CALL"
	default:
		st.Kind, st.Tag = KindUtility, utilityTag(n)
	}
	return nil
}

// utilityTag derives a tag from the node type name for statements that
// are only classified (Plan rejects them).
func utilityTag(n *pg_query.Node) string {
	name := string(n.ProtoReflect().WhichOneof(n.ProtoReflect().Descriptor().Oneofs().Get(0)).Name())
	name = strings.TrimSuffix(name, "_stmt")
	return strings.ToUpper(strings.ReplaceAll(name, "_", " "))
}

func objectTypeName(t pg_query.ObjectType) string {
	switch t {
	case pg_query.ObjectType_OBJECT_TABLE:
		return "TABLE"
	case pg_query.ObjectType_OBJECT_INDEX:
		return "INDEX"
	case pg_query.ObjectType_OBJECT_VIEW:
		return "VIEW"
	case pg_query.ObjectType_OBJECT_MATVIEW:
		return "MATERIALIZED VIEW"
	case pg_query.ObjectType_OBJECT_SEQUENCE:
		return "SEQUENCE"
	case pg_query.ObjectType_OBJECT_SCHEMA:
		return "SCHEMA"
	case pg_query.ObjectType_OBJECT_TYPE:
		return "TYPE"
	case pg_query.ObjectType_OBJECT_FUNCTION:
		return "FUNCTION"
	case pg_query.ObjectType_OBJECT_EXTENSION:
		return "EXTENSION"
	case pg_query.ObjectType_OBJECT_TRIGGER:
		return "TRIGGER"
	case pg_query.ObjectType_OBJECT_ROLE:
		return "ROLE"
	case pg_query.ObjectType_OBJECT_DATABASE:
		return "DATABASE"
	case pg_query.ObjectType_OBJECT_DOMAIN:
		return "DOMAIN"
	case pg_query.ObjectType_OBJECT_FOREIGN_TABLE:
		return "FOREIGN TABLE"
	}
	return strings.TrimPrefix(t.String(), "OBJECT_")
}

func classifyTxn(st *Statement, t *pg_query.TransactionStmt) {
	st.Kind, st.ReadOnly = KindTxn, true
	tx := &TxnStmt{Savepoint: t.SavepointName, Chain: t.Chain}
	switch t.Kind {
	case pg_query.TransactionStmtKind_TRANS_STMT_BEGIN:
		tx.Op, st.Tag = TxnBegin, "BEGIN"
	case pg_query.TransactionStmtKind_TRANS_STMT_START:
		tx.Op, st.Tag = TxnBegin, "START TRANSACTION"
	case pg_query.TransactionStmtKind_TRANS_STMT_COMMIT:
		tx.Op, st.Tag = TxnCommit, "COMMIT"
	case pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK:
		tx.Op, st.Tag = TxnRollback, "ROLLBACK"
	case pg_query.TransactionStmtKind_TRANS_STMT_SAVEPOINT:
		tx.Op, st.Tag = TxnSavepoint, "SAVEPOINT"
	case pg_query.TransactionStmtKind_TRANS_STMT_RELEASE:
		tx.Op, st.Tag = TxnRelease, "RELEASE"
	case pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK_TO:
		tx.Op, st.Tag = TxnRollbackTo, "ROLLBACK"
	default:
		tx.Op, st.Tag = TxnPrepare, "PREPARE TRANSACTION"
		if t.Kind == pg_query.TransactionStmtKind_TRANS_STMT_COMMIT_PREPARED {
			st.Tag = "COMMIT PREPARED"
		} else if t.Kind == pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK_PREPARED {
			st.Tag = "ROLLBACK PREPARED"
		}
	}
	tx.Isolation, tx.ReadOnly = txnOptions(t.Options)
	st.Txn = tx
}

// txnOptions reads transaction_isolation and transaction_read_only from a
// list of DefElems.
func txnOptions(opts []*pg_query.Node) (isolation string, readOnly *bool) {
	for _, o := range opts {
		d := o.GetDefElem()
		if d == nil {
			continue
		}
		switch d.Defname {
		case "transaction_isolation":
			isolation = constString(d.Arg)
		case "transaction_read_only":
			v := constInt(d.Arg) != 0
			readOnly = &v
		}
	}
	return isolation, readOnly
}

func constString(n *pg_query.Node) string {
	if n == nil {
		return ""
	}
	if c := n.GetAConst(); c != nil {
		switch v := c.Val.(type) {
		case *pg_query.A_Const_Sval:
			return v.Sval.Sval
		case *pg_query.A_Const_Ival:
			return strconv.FormatInt(int64(v.Ival.Ival), 10)
		case *pg_query.A_Const_Fval:
			return v.Fval.Fval
		case *pg_query.A_Const_Boolval:
			if v.Boolval.Boolval {
				return "on"
			}
			return "off"
		}
	}
	if s := n.GetString_(); s != nil {
		return s.Sval
	}
	if tc := n.GetTypeCast(); tc != nil {
		return constString(tc.Arg)
	}
	return ""
}

func constInt(n *pg_query.Node) int64 {
	if n == nil {
		return 0
	}
	if c := n.GetAConst(); c != nil {
		switch v := c.Val.(type) {
		case *pg_query.A_Const_Ival:
			return int64(v.Ival.Ival)
		case *pg_query.A_Const_Boolval:
			if v.Boolval.Boolval {
				return 1
			}
		}
	}
	if i := n.GetInteger(); i != nil {
		return int64(i.Ival)
	}
	if b := n.GetBoolean(); b != nil && b.Boolval {
		return 1
	}
	return 0
}

func classifySet(st *Statement, s *pg_query.VariableSetStmt) {
	st.Kind, st.Tag, st.ReadOnly = KindSet, "SET", true
	set := &SetStmt{Name: strings.ToLower(s.Name), Local: s.IsLocal}
	switch s.Kind {
	case pg_query.VariableSetKind_VAR_SET_VALUE:
		vals := make([]string, 0, len(s.Args))
		for _, a := range s.Args {
			vals = append(vals, constString(a))
		}
		set.Value = strings.Join(vals, ", ")
	case pg_query.VariableSetKind_VAR_SET_DEFAULT:
		set.Reset = true
	case pg_query.VariableSetKind_VAR_RESET:
		set.Reset = true
		st.Tag = "RESET"
	case pg_query.VariableSetKind_VAR_RESET_ALL:
		set.Reset, set.ResetAll, set.Name = true, true, ""
		st.Tag = "RESET"
	case pg_query.VariableSetKind_VAR_SET_MULTI:
		// SET TRANSACTION … / SET SESSION CHARACTERISTICS AS TRANSACTION …
		set.Isolation, set.ReadOnly = txnOptions(s.Args)
	case pg_query.VariableSetKind_VAR_SET_CURRENT:
		set.Value = ""
	}
	st.Set = set
}

func classifyCopy(st *Statement, c *pg_query.CopyStmt) error {
	st.Kind, st.Tag = KindCopy, "COPY"
	cp := &CopyStmt{From: c.IsFrom, Format: "text"}
	if c.Relation != nil {
		cp.Table = c.Relation.Relname
	}
	for _, a := range c.Attlist {
		cp.Columns = append(cp.Columns, a.GetString_().GetSval())
	}
	if c.Query != nil {
		q := &Statement{Text: st.Text, Location: st.Location, node: c.Query, plans: newPlanCache(), charLoc: st.charLoc}
		if err := classify(q, c.Query); err != nil {
			return err
		}
		cp.Query = q
		st.ReadOnly = q.ReadOnly
	} else {
		st.ReadOnly = !c.IsFrom
	}
	var delim, null, quote, escape *string
	for _, o := range c.Options {
		d := o.GetDefElem()
		if d == nil {
			continue
		}
		switch d.Defname {
		case "format":
			cp.Format = strings.ToLower(constString(d.Arg))
		case "freeze":
			cp.Freeze = d.Arg == nil || defBool(d.Arg)
		case "header":
			cp.Header = d.Arg == nil || defBool(d.Arg)
		case "delimiter":
			v := constString(d.Arg)
			delim = &v
		case "null":
			v := constString(d.Arg)
			null = &v
		case "quote":
			v := constString(d.Arg)
			quote = &v
		case "escape":
			v := constString(d.Arg)
			escape = &v
		case "force_quote":
			cp.ForceQuote = optionNames(d.Arg)
		case "force_not_null":
			cp.ForceNotNull = optionNames(d.Arg)
		}
	}
	switch cp.Format {
	case "csv":
		cp.Delimiter, cp.Null, cp.Quote = ",", "", `"`
	default:
		cp.Delimiter, cp.Null = "\t", `\N`
	}
	if delim != nil {
		cp.Delimiter = *delim
	}
	if null != nil {
		cp.Null = *null
	}
	if quote != nil {
		cp.Quote = *quote
	}
	cp.Escape = cp.Quote
	if escape != nil {
		cp.Escape = *escape
	}
	st.Copy = cp
	return nil
}

func defBool(n *pg_query.Node) bool {
	s := strings.ToLower(constString(n))
	if s == "" {
		return constInt(n) != 0
	}
	b, ok := parseBool(s)
	return ok && b
}

func optionNames(n *pg_query.Node) []string {
	if n == nil {
		return nil
	}
	if n.GetAStar() != nil {
		return []string{"*"}
	}
	if l := n.GetList(); l != nil {
		var out []string
		for _, it := range l.Items {
			out = append(out, constString(it))
		}
		return out
	}
	return []string{constString(n)}
}
