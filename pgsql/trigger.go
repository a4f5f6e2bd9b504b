package pgsql

import (
	"encoding/json"
	"regexp"
	"sort"
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/replisql/replisql/pgwire/pgerr"
)

// PL/pgSQL trigger functions and row triggers on SQLite triggers.
//
// CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql stores the
// statement's text as a row of __replisql_functions; the function is
// checked (parsed with pg_query's PL/pgSQL parser, every statement of a
// supported shape) but compiled only for a table, by CREATE TRIGGER.
//
// A table's PostgreSQL triggers compile together into SQLite triggers, one
// per (trigger, event), each carrying its PostgreSQL definition in a
// comment (/*replisql:{json}*/) so that sqlite_schema stays the one record
// of which triggers exist (DROP TABLE drops them with the table). Every
// CREATE/DROP TRIGGER and CREATE OR REPLACE FUNCTION recompiles all the
// triggers of the tables concerned:
//
//   - Statements of the body (INSERT/UPDATE/DELETE) are translated like
//     client statements, with NEW.col and OLD.col as parameters that are
//     then replaced by SQLite's NEW."col"/OLD."col" (or by the column's
//     current value, see below). TG_OP, TG_NAME, TG_WHEN, TG_LEVEL and
//     TG_TABLE_NAME become constants of the compiled event.
//   - IF … THEN … ELSIF … ELSE … END IF becomes a guard on each statement
//     of a branch (WHERE clauses; INSERT's source wrapped in a filtered
//     subquery); conditions may not contain subqueries, so evaluating them
//     again per statement gives the same answer.
//   - RAISE EXCEPTION 'fmt', args… calls pg_raise('P0001', message).
//   - RETURN NULL in a BEFORE trigger (RETURN NEW in BEFORE DELETE, RETURN
//     OLD in BEFORE INSERT) skips the row: SELECT RAISE(IGNORE).
//   - NEW.col := expr in a BEFORE INSERT/UPDATE trigger: SQLite cannot
//     assign NEW. The value of each column after the BEFORE triggers is
//     kept as an expression over the original NEW (CASE WHEN guard THEN
//     … for conditional assignments), which later BEFORE triggers and all
//     AFTER triggers of the event use for NEW.col; one extra SQLite AFTER
//     trigger (the fixup, created last so that SQLite fires it first)
//     UPDATEs the row by rowid to those values. While it runs, a counter
//     in __replisql_trigger_ctx keeps the table's UPDATE triggers from
//     firing. RETURNING and ON CONFLICT would see the row before the
//     fixup, so they fail with 0A000 on such tables.
//
// Session values (now(), current_user, …) in trigger bodies read the row
// of __replisql_trigger_ctx, which a DML plan on a table with such
// triggers first sets from its bound session values: the WAL record holds
// that UPDATE with its arguments, and SQLite fires the triggers again on
// replay, so replay is deterministic.
//
// SQLite fires the triggers of one event newest first; PostgreSQL fires
// them in name order. Triggers are therefore (re)created in reverse name
// order.

// SQLSTATEs that pgerr does not name.
const (
	codeRaiseException   pgerr.Code = "P0001"
	codeDependentObjects pgerr.Code = "2BP01"
	codeDuplicateFunc    pgerr.Code = "42723"
)

const funcTable = `"__replisql_functions"`

const funcTableDDL = `CREATE TABLE IF NOT EXISTS "__replisql_functions" ("name" text NOT NULL PRIMARY KEY, "src" text NOT NULL)`

const ctxTable = `"__replisql_trigger_ctx"`

var ctxTableDDL = []string{
	`CREATE TABLE IF NOT EXISTS "__replisql_trigger_ctx" ("id" integer PRIMARY KEY CHECK ("id" = 0), ` +
		`"v_txn" text, "v_stmt" text, "v_clock" text, "v_user" text, "v_db" text, "v_pid" integer, "fixup" integer NOT NULL DEFAULT 0)`,
	`INSERT OR IGNORE INTO "__replisql_trigger_ctx" ("id") VALUES (0)`,
}

// ctxColumns are the session values a trigger body can read, by column of
// __replisql_trigger_ctx.
var ctxColumns = []struct {
	col string
	v   SessionValue
}{
	{"v_txn", ValueTxnTimestamp}, {"v_stmt", ValueStatementTimestamp}, {"v_clock", ValueClockTimestamp},
	{"v_user", ValueCurrentUser}, {"v_db", ValueDatabase}, {"v_pid", ValueBackendPID},
}

// ctxReadPrefix starts every read of a session value in a trigger body.
const ctxReadPrefix = `(SELECT "v_`

const fixupGuard = `(SELECT "fixup" FROM "__replisql_trigger_ctx") = 0`

// Functions is implemented by a Schema that knows the stored trigger
// functions. Without it, CREATE TRIGGER fails: no function exists.
type Functions interface {
	// Function returns the CREATE FUNCTION statement of a function.
	Function(name string) (src string, ok bool)
	// TriggerTables lists the tables that have triggers.
	TriggerTables() []string
}

// TableTrigger is one SQLite trigger of a table.
type TableTrigger struct {
	Name string // SQLite's name
	SQL  string // sqlite_schema.sql
}

// trigMeta is the PostgreSQL side of a SQLite trigger, kept in a comment
// in its SQL.
type trigMeta struct {
	Name  string `json:"name,omitempty"` // the PostgreSQL trigger; "" for a fixup
	Func  string `json:"func,omitempty"`
	Def   string `json:"def,omitempty"` // the CREATE TRIGGER statement
	Fixup bool   `json:"fixup,omitempty"`
}

const metaPrefix = "/*replisql:"

func encodeMeta(m trigMeta) string {
	b, _ := json.Marshal(m)
	// "*/" can only occur inside JSON strings, where "\/" means "/".
	return metaPrefix + strings.ReplaceAll(string(b), "*/", `*\/`) + "*/"
}

func decodeMeta(sql string) (trigMeta, bool) {
	var m trigMeta
	i := strings.Index(sql, metaPrefix)
	if i < 0 {
		return m, false
	}
	rest := sql[i+len(metaPrefix):]
	j := strings.Index(rest, "*/")
	if j < 0 || json.Unmarshal([]byte(rest[:j]), &m) != nil {
		return m, false
	}
	return m, true
}

// pgTrigger is one PostgreSQL trigger of a table.
type pgTrigger struct {
	name, fn, def string
	before        bool
	events        []string // "INSERT", "UPDATE", "DELETE"
	cols          []string // UPDATE OF
	when          *pg_query.Node
}

// tableTriggers reads the PostgreSQL triggers of tb from its SQLite
// triggers, in name order.
func tableTriggers(tb *Table) ([]*pgTrigger, error) {
	seen := map[string]bool{}
	var out []*pgTrigger
	for _, st := range tb.Triggers {
		m, ok := decodeMeta(st.SQL)
		if !ok || m.Fixup || seen[m.Name] {
			continue
		}
		seen[m.Name] = true
		pt, err := parseTriggerDef(m.Def)
		if err != nil {
			return nil, err
		}
		out = append(out, pt)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

func parseTriggerDef(def string) (*pgTrigger, error) {
	res, err := pg_query.Parse(def)
	if err != nil || len(res.Stmts) != 1 || res.Stmts[0].Stmt.GetCreateTrigStmt() == nil {
		return nil, pgerr.New(pgerr.InternalError, "stored trigger definition does not parse: %q", def)
	}
	return triggerOf(res.Stmts[0].Stmt.GetCreateTrigStmt(), def)
}

// PostgreSQL's trigger type bits (pg_trigger.h).
const (
	trigBefore   = 1 << 1
	trigInsert   = 1 << 2
	trigDelete   = 1 << 3
	trigUpdate   = 1 << 4
	trigTruncate = 1 << 5
	trigInstead  = 1 << 6
)

// triggerOf checks a CREATE TRIGGER statement's shape.
func triggerOf(s *pg_query.CreateTrigStmt, def string) (*pgTrigger, error) {
	switch {
	case !s.Row:
		return nil, unsupported("statement-level triggers (FOR EACH STATEMENT) are not supported")
	case s.Timing&trigInstead != 0:
		return nil, unsupported("INSTEAD OF triggers are not supported")
	case s.Events&trigTruncate != 0:
		return nil, unsupported("TRUNCATE triggers are not supported")
	case s.Isconstraint:
		return nil, unsupported("constraint triggers are not supported")
	case len(s.TransitionRels) > 0:
		return nil, unsupported("transition tables (REFERENCING) are not supported")
	case len(s.Args) > 0:
		return nil, unsupported("trigger function arguments (TG_ARGV) are not supported")
	}
	fn := nameList(s.Funcname)
	if len(fn) > 1 && fn[0] != "public" {
		return nil, pgerr.New(pgerr.UndefinedFunction, "function %s() does not exist", strings.Join(fn, "."))
	}
	pt := &pgTrigger{name: s.Trigname, fn: fn[len(fn)-1], def: def, before: s.Timing&trigBefore != 0, cols: nameList(s.Columns), when: s.WhenClause}
	for _, e := range []struct {
		bit  int32
		name string
	}{{trigInsert, "INSERT"}, {trigUpdate, "UPDATE"}, {trigDelete, "DELETE"}} {
		if s.Events&e.bit != 0 {
			pt.events = append(pt.events, e.name)
		}
	}
	return pt, nil
}

// ---- PL/pgSQL ----

// plStmt is one PL/pgSQL statement as pg_query's JSON gives it: a single
// key naming its kind.
type plStmt map[string]json.RawMessage

type plExpr struct {
	Expr struct {
		Query string `json:"query"`
	} `json:"PLpgSQL_expr"`
}

type plFunction struct {
	NewVarno int                          `json:"new_varno"`
	Datums   []map[string]json.RawMessage `json:"datums"`
	Action   struct {
		Block plBlock `json:"PLpgSQL_stmt_block"`
	} `json:"action"`
}

type plBlock struct {
	Body       []plStmt        `json:"body"`
	Exceptions json.RawMessage `json:"exceptions"`
}

// hasExceptions reports whether the block has an EXCEPTION clause.
func (b *plBlock) hasExceptions() bool {
	return len(b.Exceptions) > 0 && string(b.Exceptions) != "null"
}

type plIf struct {
	Cond   plExpr   `json:"cond"`
	Then   []plStmt `json:"then_body"`
	Elsifs []struct {
		E struct {
			Cond  plExpr   `json:"cond"`
			Stmts []plStmt `json:"stmts"`
		} `json:"PLpgSQL_if_elsif"`
	} `json:"elsif_list"`
	Else []plStmt `json:"else_body"`
}

type plRaise struct {
	Level    int             `json:"elog_level"`
	Message  string          `json:"message"`
	Params   []plExpr        `json:"params"`
	Condname string          `json:"condname"`
	Options  json.RawMessage `json:"options"`
}

// check rejects the forms of RAISE that trigger functions do not
// support; compiling one also needs a message.
func (r *plRaise) check(compile bool) error {
	if r.Level != 21 {
		return unsupported("RAISE levels other than EXCEPTION are not supported in trigger functions")
	}
	if r.Condname != "" || len(r.Options) > 0 || compile && r.Message == "" {
		return unsupported("RAISE with a condition name or USING options is not supported in trigger functions")
	}
	return nil
}

// unsupportedPLStmt is the error for a PL/pgSQL statement of kind
// ("PLpgSQL_stmt_while") that trigger functions do not support.
func unsupportedPLStmt(kind string) error {
	name := strings.ToUpper(strings.ReplaceAll(strings.TrimPrefix(kind, "PLpgSQL_stmt_"), "_", " "))
	return unsupported("PL/pgSQL statement %s is not supported in trigger functions", name)
}

// parseFunction parses a stored CREATE FUNCTION statement's body.
func parseFunction(src string) (*plFunction, error) {
	js, err := pg_query.ParsePlPgSqlToJSON(src)
	if err != nil {
		return nil, pgerr.New(pgerr.SyntaxError, "%s", err.Error())
	}
	var fns []struct {
		F plFunction `json:"PLpgSQL_function"`
	}
	if err := json.Unmarshal([]byte(js), &fns); err != nil || len(fns) != 1 {
		return nil, pgerr.New(pgerr.InternalError, "unexpected PL/pgSQL parse tree")
	}
	f := &fns[0].F
	for i, d := range f.Datums {
		for k, v := range d {
			var x struct {
				Refname string `json:"refname"`
			}
			_ = json.Unmarshal(v, &x)
			switch {
			case k == "PLpgSQL_recfield":
			case k == "PLpgSQL_rec" && (x.Refname == "new" || x.Refname == "old"):
			case k == "PLpgSQL_var" && i == 0 && x.Refname == "found":
			default:
				return nil, unsupported("variables (DECLARE %s) in trigger functions are not supported", x.Refname)
			}
		}
	}
	return f, nil
}

// ---- compiling triggers ----

// hole is a value put into a statement as parameter $n and replaced,
// after translation, by SQLite text.
type hole struct {
	t   pgType
	sql string
}

// trigCompiler compiles the triggers of one table for one event.
type trigCompiler struct {
	schema Schema
	tb     *Table
	event  string
	trig   *pgTrigger
	// newVal is the value of NEW.col after the BEFORE triggers so far
	// (SQLite over the original NEW); missing means unchanged.
	newVal map[string]string
	// before is set while compiling a BEFORE trigger: assignments and
	// RETURN values count.
	before bool
	// when is the trigger's WHEN condition (SQLite), which guards its
	// assignments; its statements run only where it holds anyway.
	when string
	out  []string // the trigger program
}

var tgConstants = map[string]bool{"tg_op": true, "tg_name": true, "tg_when": true, "tg_level": true, "tg_table_name": true, "tg_relname": true, "tg_table_schema": true}

// newRef is how NEW.col reads in the current event.
func (c *trigCompiler) newRef(col string) string {
	if c.event == "DELETE" {
		return "NULL"
	}
	if v, ok := c.newVal[col]; ok {
		return v
	}
	return "NEW." + quoteIdent(col)
}

func (c *trigCompiler) oldRef(col string) string {
	if c.event == "INSERT" {
		return "NULL"
	}
	return "OLD." + quoteIdent(col)
}

// rewrite replaces NEW.col, OLD.col and TG_* in the tree under n by
// parameters, appending them to holes.
func (c *trigCompiler) rewrite(n protoreflect.Message, holes *[]hole) error {
	var err error
	walk(n, func(m protoreflect.Message) bool {
		if err != nil {
			return false
		}
		node, ok := m.Interface().(*pg_query.Node)
		if !ok {
			if _, sub := m.Interface().(*pg_query.SubLink); sub {
				err = unsupported("subqueries in trigger functions are only supported in INSERT, UPDATE and DELETE statements")
				return false
			}
			return true
		}
		cr := node.GetColumnRef()
		if cr == nil {
			return true
		}
		f := cr.Fields
		first := strNode(f[0])
		var h hole
		switch {
		case (first == "new" || first == "old") && len(f) == 2 && f[1].GetString_() != nil:
			name := strNode(f[1])
			idx := columnIndex(c.tb, name)
			if idx < 0 {
				err = pgerr.New(pgerr.UndefinedColumn, "record %q has no field %q", first, name)
				return false
			}
			h.t = colType(&c.tb.Columns[idx])
			if first == "new" {
				h.sql = c.newRef(name)
			} else {
				h.sql = c.oldRef(name)
			}
		case first == "new" || first == "old":
			err = unsupported("whole-row references to %s are not supported in trigger functions", strings.ToUpper(first))
			return false
		case len(f) == 1 && tgConstants[first]:
			v := map[string]string{"tg_op": c.event, "tg_name": c.trig.name, "tg_level": "ROW",
				"tg_table_name": c.tb.Name, "tg_relname": c.tb.Name, "tg_table_schema": "public"}[first]
			if first == "tg_when" {
				v = map[bool]string{true: "BEFORE", false: "AFTER"}[c.trig.before]
			}
			h = hole{tText, quoteString(v)}
		default:
			return true
		}
		*holes = append(*holes, h)
		node.Node = &pg_query.Node_ParamRef{ParamRef: &pg_query.ParamRef{Number: int32(len(*holes)), Location: cr.Location}}
		return false
	})
	return err
}

// fill replaces the parameters of translated SQL by their holes and the
// session values (numbered after them) by reads of the trigger context.
func fill(sql string, holes []hole, nparams int, extra []SessionValue) (string, error) {
	for k, h := range holes {
		if ps := paramSQL(k+1, h.t.oid); strings.HasPrefix(ps, "pg_cast(") {
			sql = strings.ReplaceAll(sql, ps, "?"+strconv.Itoa(k+1))
		}
	}
	var b strings.Builder
	for i := 0; i < len(sql); i++ {
		ch := sql[i]
		switch {
		case ch == '\'' || ch == '"':
			j := closingQuote(sql, i)
			b.WriteString(sql[i:min(j+1, len(sql))])
			i = j
		case ch == '?':
			j := i + 1
			for j < len(sql) && sql[j] >= '0' && sql[j] <= '9' {
				j++
			}
			n, _ := strconv.Atoi(sql[i+1 : j])
			switch {
			case n >= 1 && n <= len(holes):
				b.WriteString("(" + holes[n-1].sql + ")")
			case n > nparams && n-nparams <= len(extra):
				v := extra[n-nparams-1]
				col := ""
				for _, cc := range ctxColumns {
					if cc.v == v {
						col = cc.col
					}
				}
				if col == "" {
					return "", unsupported("random() and gen_random_uuid() are not supported in trigger functions")
				}
				b.WriteString(`(SELECT "` + col + `" FROM ` + ctxTable + `)`)
			default:
				return "", pgerr.New(pgerr.InternalError, "unexpected parameter ?%d in trigger program", n)
			}
			i = j - 1
		default:
			b.WriteByte(ch)
		}
	}
	return b.String(), nil
}

// value translates a PL/pgSQL expression (condition, assigned value, RAISE
// argument) to SQLite, converted to typ for assignment (explicit casts
// when cast is set).
func (c *trigCompiler) value(text string, typ pgType, cast bool) (string, error) {
	res, err := pg_query.Parse("SELECT " + text)
	if err != nil {
		return "", pgerr.New(pgerr.SyntaxError, "%s", err.Error())
	}
	sel := res.Stmts[0].Stmt.GetSelectStmt()
	if sel == nil || len(sel.TargetList) != 1 || len(sel.FromClause) > 0 || sel.WhereClause != nil {
		return "", unsupported("PL/pgSQL expression %q is not supported", text)
	}
	return c.valueNode(text, sel.TargetList[0].GetResTarget().Val, typ, cast)
}

// valueNode is value for a parsed expression, which it rewrites in place.
func (c *trigCompiler) valueNode(text string, val *pg_query.Node, typ pgType, cast bool) (string, error) {
	var holes []hole
	if err := c.rewrite(val.ProtoReflect(), &holes); err != nil {
		return "", err
	}
	given := make([]uint32, len(holes))
	for i, h := range holes {
		given[i] = h.t.oid
	}
	t := newTranslator(&Statement{Text: text, Kind: KindSelect}, c.schema, given)
	t.inTrigger = true
	e, err := t.expr(val, &scope{})
	if err != nil {
		return "", err
	}
	if cast {
		e, err = t.castSQL(e, typ, true)
	} else {
		e, err = t.assignE(e, typ)
	}
	if err != nil {
		return "", err
	}
	p, err := t.finish([]string{e.sql}, nil)
	if err != nil {
		return "", err
	}
	return fill(p.SQL[0], holes, len(p.Params), p.Extra)
}

// condition translates an IF/WHEN condition; NULL counts as false.
func (c *trigCompiler) condition(text string) (string, error) {
	s, err := c.value(text, tBool, false)
	if err != nil {
		return "", err
	}
	return "coalesce(" + s + ", 0)", nil
}

// statement translates an SQL statement of the body, run only where
// guard (SQLite, "" for always) holds.
func (c *trigCompiler) statement(text, guard string) error {
	res, err := pg_query.Parse(text)
	if err != nil {
		return pgerr.New(pgerr.SyntaxError, "%s", err.Error())
	}
	if len(res.Stmts) != 1 {
		return unsupported("PL/pgSQL statement %q is not supported", text)
	}
	n := res.Stmts[0].Stmt
	var holes []hole
	// Subqueries are fine here: the statement runs once, where it stands.
	if err := c.rewriteStmt(n, &holes); err != nil {
		return err
	}
	var g *pg_query.Node
	if guard != "" {
		holes = append(holes, hole{tBool, guard})
		g = &pg_query.Node{Node: &pg_query.Node_ParamRef{ParamRef: &pg_query.ParamRef{Number: int32(len(holes))}}}
	}
	switch x := n.Node.(type) {
	case *pg_query.Node_InsertStmt:
		s := x.InsertStmt
		if len(s.ReturningList) > 0 {
			return unsupported("INSERT … RETURNING in trigger functions is not supported")
		}
		if g != nil {
			if s.SelectStmt == nil {
				return unsupported("INSERT … DEFAULT VALUES under IF in trigger functions is not supported")
			}
			if v := s.SelectStmt.GetSelectStmt(); v != nil && len(v.ValuesLists) == 1 && s.WithClause == nil {
				// One row: SELECT its values WHERE guard.
				var tl []*pg_query.Node
				for _, e := range v.ValuesLists[0].GetList().Items {
					if e.GetSetToDefault() != nil {
						return unsupported("DEFAULT in INSERT under IF in trigger functions is not supported")
					}
					tl = append(tl, &pg_query.Node{Node: &pg_query.Node_ResTarget{ResTarget: &pg_query.ResTarget{Val: e}}})
				}
				s.SelectStmt = &pg_query.Node{Node: &pg_query.Node_SelectStmt{SelectStmt: &pg_query.SelectStmt{TargetList: tl, WhereClause: g, Op: pg_query.SetOperation_SETOP_NONE}}}
			} else {
				star := &pg_query.Node{Node: &pg_query.Node_ColumnRef{ColumnRef: &pg_query.ColumnRef{Fields: []*pg_query.Node{{Node: &pg_query.Node_AStar{AStar: &pg_query.A_Star{}}}}}}}
				sub := &pg_query.Node{Node: &pg_query.Node_RangeSubselect{RangeSubselect: &pg_query.RangeSubselect{Subquery: s.SelectStmt, Alias: &pg_query.Alias{Aliasname: "__replisql_if"}}}}
				s.SelectStmt = &pg_query.Node{Node: &pg_query.Node_SelectStmt{SelectStmt: &pg_query.SelectStmt{
					TargetList:  []*pg_query.Node{{Node: &pg_query.Node_ResTarget{ResTarget: &pg_query.ResTarget{Val: star}}}},
					FromClause:  []*pg_query.Node{sub},
					WhereClause: g, Op: pg_query.SetOperation_SETOP_NONE}}}
			}
		}
	case *pg_query.Node_UpdateStmt:
		if len(x.UpdateStmt.ReturningList) > 0 {
			return unsupported("UPDATE … RETURNING in trigger functions is not supported")
		}
		x.UpdateStmt.WhereClause = andNode(g, x.UpdateStmt.WhereClause)
	case *pg_query.Node_DeleteStmt:
		if len(x.DeleteStmt.ReturningList) > 0 {
			return unsupported("DELETE … RETURNING in trigger functions is not supported")
		}
		x.DeleteStmt.WhereClause = andNode(g, x.DeleteStmt.WhereClause)
	case *pg_query.Node_SelectStmt:
		return unsupported("SELECT in trigger functions is not supported (use PERFORM or INSERT … SELECT)")
	default:
		return unsupported("statement %q in trigger functions is not supported", text)
	}
	given := make([]uint32, len(holes))
	for i, h := range holes {
		given[i] = h.t.oid
	}
	st := &Statement{Text: text, Kind: KindDML, node: n}
	t := newTranslator(st, c.schema, given)
	t.inTrigger = true
	p, err := t.statement(n)
	if err != nil {
		return err
	}
	if p.Columns != nil {
		return unsupported("statement %q returning rows in trigger functions is not supported", text)
	}
	if guard != "" && len(p.SQL) > 1 {
		return unsupported("statement %q under IF in trigger functions is not supported", text)
	}
	for _, q := range p.SQL {
		s, err := fill(q, holes, len(p.Params), p.Extra)
		if err != nil {
			return err
		}
		c.out = append(c.out, s)
	}
	return nil
}

// rewriteStmt is rewrite for a whole statement: subqueries are allowed.
func (c *trigCompiler) rewriteStmt(n *pg_query.Node, holes *[]hole) error {
	var err error
	walk(n.ProtoReflect(), func(m protoreflect.Message) bool {
		if err != nil {
			return false
		}
		node, ok := m.Interface().(*pg_query.Node)
		if !ok || node.GetColumnRef() == nil {
			return true
		}
		err = c.rewriteRef(node, holes)
		return false
	})
	return err
}

// rewriteRef rewrites one ColumnRef node (no SubLink check).
func (c *trigCompiler) rewriteRef(node *pg_query.Node, holes *[]hole) error {
	wrapper := &pg_query.ResTarget{Val: node}
	return c.rewrite(wrapper.ProtoReflect(), holes)
}

func andNode(a, b *pg_query.Node) *pg_query.Node {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	return &pg_query.Node{Node: &pg_query.Node_BoolExpr{BoolExpr: &pg_query.BoolExpr{Boolop: pg_query.BoolExprType_AND_EXPR, Args: []*pg_query.Node{a, b}}}}
}

func andGuard(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return "(" + a + ") AND (" + b + ")"
}

var assignRE = regexp.MustCompile(`(?is)^\s*new\s*\.\s*("(?:[^"]|"")*"|[a-z_][a-z0-9_$]*)\s*(?::=|=)\s*(.*)$`)

// block compiles statements under guard; it reports whether the block
// always returns.
func (c *trigCompiler) block(body []plStmt, guard string) (bool, error) {
	for _, s := range body {
		for kind, raw := range s {
			done, err := c.plStatement(kind, raw, guard)
			if err != nil {
				return false, err
			}
			if done != "" {
				if done == "always" {
					return true, nil
				}
				// A conditional RETURN: later statements run only where
				// it did not.
				guard = andGuard(guard, "NOT ("+done+")")
			}
		}
	}
	return false, nil
}

// plStatement compiles one statement under guard. It returns "always"
// when the statement returns, the condition (relative to guard) under
// which it returns, or "".
func (c *trigCompiler) plStatement(kind string, raw json.RawMessage, guard string) (string, error) {
	switch kind {
	case "PLpgSQL_stmt_execsql":
		var x struct {
			SQL  plExpr `json:"sqlstmt"`
			Into bool   `json:"into"`
		}
		if err := json.Unmarshal(raw, &x); err != nil {
			return "", err
		}
		if x.Into {
			return "", unsupported("INTO in trigger functions is not supported")
		}
		return "", c.statement(x.SQL.Expr.Query, guard)
	case "PLpgSQL_stmt_assign":
		var x struct {
			Expr plExpr `json:"expr"`
		}
		if err := json.Unmarshal(raw, &x); err != nil {
			return "", err
		}
		m := assignRE.FindStringSubmatch(x.Expr.Expr.Query)
		if m == nil {
			return "", unsupported("assignments other than NEW.column := value are not supported in trigger functions")
		}
		col := m[1]
		if strings.HasPrefix(col, `"`) {
			col = strings.ReplaceAll(col[1:len(col)-1], `""`, `"`)
		} else {
			col = strings.ToLower(col)
		}
		idx := columnIndex(c.tb, col)
		if idx < 0 {
			return "", pgerr.New(pgerr.UndefinedColumn, "record \"new\" has no field %q", col)
		}
		if !c.before {
			return "", nil // PostgreSQL ignores NEW in AFTER triggers
		}
		if c.event == "DELETE" {
			return "", pgerr.New(pgerr.ObjectNotInPrerequisiteState, "record \"new\" is not assigned yet")
		}
		if len(c.trig.cols) > 0 {
			return "", unsupported("assigning NEW in a BEFORE UPDATE OF trigger is not supported")
		}
		v, err := c.value(m[2], colType(&c.tb.Columns[idx]), false)
		if err != nil {
			return "", err
		}
		if g := andGuard(c.when, guard); g != "" {
			v = "CASE WHEN " + g + " THEN " + v + " ELSE " + c.newRef(col) + " END"
		}
		c.newVal[col] = v
		return "", nil
	case "PLpgSQL_stmt_if":
		var x plIf
		if err := json.Unmarshal(raw, &x); err != nil {
			return "", err
		}
		type branch struct {
			cond  string
			stmts []plStmt
		}
		branches := []branch{{x.Cond.Expr.Query, x.Then}}
		for _, e := range x.Elsifs {
			branches = append(branches, branch{e.E.Cond.Expr.Query, e.E.Stmts})
		}
		branches = append(branches, branch{"", x.Else})
		// Conditions are evaluated before any branch runs.
		var conds []string
		for _, b := range branches[:len(branches)-1] {
			s, err := c.condition(b.cond)
			if err != nil {
				return "", err
			}
			conds = append(conds, s)
		}
		var returned []string
		allReturn := true
		notBefore := ""
		for i, b := range branches {
			g := notBefore
			if i < len(conds) {
				g = andGuard(g, conds[i])
				notBefore = andGuard(notBefore, "NOT "+conds[i])
			}
			full := andGuard(guard, g)
			ret, err := c.block(b.stmts, full)
			if err != nil {
				return "", err
			}
			if ret {
				returned = append(returned, "("+g+")")
			} else {
				allReturn = false
			}
		}
		if allReturn {
			return "always", nil
		}
		if len(returned) > 0 {
			return strings.Join(returned, " OR "), nil
		}
		return "", nil
	case "PLpgSQL_stmt_raise":
		var x plRaise
		if err := json.Unmarshal(raw, &x); err != nil {
			return "", err
		}
		if err := x.check(true); err != nil {
			return "", err
		}
		msg, err := c.raiseMessage(x.Message, x.Params)
		if err != nil {
			return "", err
		}
		q := "SELECT pg_raise('" + string(codeRaiseException) + "', " + msg + ")"
		if guard != "" {
			q += " WHERE " + guard
		}
		c.out = append(c.out, q)
		return "", nil
	case "PLpgSQL_stmt_return":
		var x struct {
			Expr *plExpr `json:"expr"`
		}
		if err := json.Unmarshal(raw, &x); err != nil {
			return "", err
		}
		what := "NULL"
		if x.Expr != nil {
			what = strings.ToUpper(strings.TrimSpace(x.Expr.Expr.Query))
		}
		if what != "NEW" && what != "OLD" && what != "NULL" {
			return "", unsupported("RETURN %s in trigger functions is not supported (RETURN NEW, OLD or NULL)", what)
		}
		if c.before {
			skip := what == "NULL" || (what == "NEW" && c.event == "DELETE") || (what == "OLD" && c.event == "INSERT")
			switch {
			case skip:
				q := "SELECT RAISE(IGNORE)"
				if guard != "" {
					q += " WHERE " + guard
				}
				c.out = append(c.out, q)
			case what == "OLD" && c.event == "UPDATE":
				// The row keeps its old values.
				for i := range c.tb.Columns {
					col := c.tb.Columns[i].Name
					v := c.oldRef(col)
					if g := andGuard(c.when, guard); g != "" {
						v = "CASE WHEN " + g + " THEN " + v + " ELSE " + c.newRef(col) + " END"
					}
					c.newVal[col] = v
				}
			}
		}
		return "always", nil
	case "PLpgSQL_stmt_block":
		var b plBlock
		if err := json.Unmarshal(raw, &b); err != nil {
			return "", err
		}
		if b.hasExceptions() {
			return "", unsupported("EXCEPTION blocks in trigger functions are not supported")
		}
		ret, err := c.block(b.Body, guard)
		if err != nil || !ret {
			return "", err
		}
		return "always", nil
	}
	return "", unsupportedPLStmt(kind)
}

// raiseMessage builds RAISE's message: % takes the next argument's text
// (<NULL> for NULL), %% is %.
func (c *trigCompiler) raiseMessage(format string, params []plExpr) (string, error) {
	var parts []string
	var lit strings.Builder
	next := 0
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			lit.WriteByte(format[i])
			continue
		}
		if i+1 < len(format) && format[i+1] == '%' {
			lit.WriteByte('%')
			i++
			continue
		}
		if next >= len(params) {
			return "", pgerr.New(pgerr.SyntaxError, "too few parameters specified for RAISE")
		}
		if lit.Len() > 0 {
			parts = append(parts, quoteString(lit.String()))
			lit.Reset()
		}
		v, err := c.value(params[next].Expr.Query, tText, true)
		if err != nil {
			return "", err
		}
		parts = append(parts, "coalesce("+v+", '<NULL>')")
		next++
	}
	if next < len(params) {
		return "", pgerr.New(pgerr.SyntaxError, "too many parameters specified for RAISE")
	}
	if lit.Len() > 0 || len(parts) == 0 {
		parts = append(parts, quoteString(lit.String()))
	}
	return strings.Join(parts, " || "), nil
}

// sqliteTrigger is one SQLite trigger to create.
type sqliteTrigger struct {
	name, timing, event string
	cols                []string
	when                string
	body                []string
	meta                trigMeta
}

func (s *sqliteTrigger) sql(tb *Table) string {
	var b strings.Builder
	b.WriteString("CREATE TRIGGER " + quoteIdent(s.name) + " " + s.timing + " " + s.event)
	if len(s.cols) > 0 {
		q := make([]string, len(s.cols))
		for i, c := range s.cols {
			q[i] = quoteIdent(c)
		}
		b.WriteString(" OF " + strings.Join(q, ", "))
	}
	b.WriteString(" ON " + quoteIdent(tb.Name) + " FOR EACH ROW ")
	if s.when != "" {
		b.WriteString("WHEN " + s.when + " ")
	}
	b.WriteString(encodeMeta(s.meta) + " BEGIN ")
	for _, q := range s.body {
		b.WriteString(q + "; ")
	}
	b.WriteString("END")
	return b.String()
}

// compileTable compiles the PostgreSQL triggers trigs of tb (name order)
// into SQLite CREATE TRIGGER statements, in the order to create them.
// source looks up a function's CREATE FUNCTION statement.
func compileTable(schema Schema, tb *Table, trigs []*pgTrigger, source func(string) (string, bool)) ([]string, error) {
	fns := map[string]*plFunction{}
	for _, pt := range trigs {
		if _, ok := fns[pt.fn]; ok {
			continue
		}
		src, ok := source(pt.fn)
		if !ok {
			return nil, pgerr.New(pgerr.UndefinedFunction, "function %s() does not exist", pt.fn)
		}
		f, err := parseFunction(src)
		if err != nil {
			return nil, err
		}
		fns[pt.fn] = f
	}
	var all []*sqliteTrigger
	fixups := false
	for _, event := range []string{"INSERT", "UPDATE", "DELETE"} {
		newVal := map[string]string{}
		var before, after []*sqliteTrigger
		for _, timing := range []string{"BEFORE", "AFTER"} {
			for _, pt := range trigs {
				if pt.before != (timing == "BEFORE") || !containsStr(pt.events, event) {
					continue
				}
				c := &trigCompiler{schema: schema, tb: tb, event: event, trig: pt, newVal: newVal, before: pt.before}
				st := &sqliteTrigger{name: tb.Name + "/" + pt.name + "/" + strings.ToLower(event), timing: timing, event: event,
					meta: trigMeta{Name: pt.name, Func: pt.fn, Def: pt.def}}
				if event == "UPDATE" {
					st.cols = pt.cols
				}
				if pt.when != nil {
					w, err := c.valueNode("WHEN", proto.Clone(pt.when).(*pg_query.Node), tBool, false)
					if err != nil {
						return nil, err
					}
					w = "coalesce(" + w + ", 0)"
					st.when, c.when = w, w
				}
				if _, err := c.block(fns[pt.fn].Action.Block.Body, ""); err != nil {
					return nil, err
				}
				st.body = c.out
				if timing == "BEFORE" {
					before = append(before, st)
				} else {
					after = append(after, st)
				}
			}
		}
		if event == "INSERT" {
			for _, st := range before {
				for i := range tb.Columns {
					if tb.Columns[i].Identity && strings.Contains(strings.Join(append(st.body, st.when), " "), "NEW."+quoteIdent(tb.Columns[i].Name)) {
						return nil, unsupported("BEFORE INSERT trigger %q reads NEW.%s, which SQLite assigns only after BEFORE triggers", st.meta.Name, tb.Columns[i].Name)
					}
				}
			}
		}
		// Create in reverse name order: SQLite fires the newest first.
		for i := len(before) - 1; i >= 0; i-- {
			if len(before[i].body) > 0 {
				all = append(all, before[i])
			} else {
				// Keep the trigger on record even when it does nothing here.
				before[i].body = []string{"SELECT 1"}
				all = append(all, before[i])
			}
		}
		for i := len(after) - 1; i >= 0; i-- {
			if len(after[i].body) == 0 {
				after[i].body = []string{"SELECT 1"}
			}
			all = append(all, after[i])
		}
		if len(newVal) > 0 {
			if strings.Contains(strings.ToLower(tb.SQL), "without rowid") {
				return nil, unsupported("BEFORE triggers that assign NEW on WITHOUT ROWID tables are not supported")
			}
			fixups = true
			var sets []string
			for i := range tb.Columns {
				col := tb.Columns[i]
				if v, ok := newVal[col.Name]; ok {
					if col.NotNull && col.Default == "" && !col.Identity && event == "INSERT" {
						return nil, unsupported("BEFORE INSERT triggers that assign the NOT NULL column %q without a default are not supported", col.Name)
					}
					sets = append(sets, quoteIdent(col.Name)+" = "+v)
				}
			}
			all = append(all, &sqliteTrigger{name: tb.Name + "//fixup/" + strings.ToLower(event), timing: "AFTER", event: event,
				meta: trigMeta{Fixup: true},
				body: []string{
					`UPDATE ` + ctxTable + ` SET "fixup" = "fixup" + 1`,
					"UPDATE " + quoteIdent(tb.Name) + " SET " + strings.Join(sets, ", ") + " WHERE rowid = NEW.rowid",
					`UPDATE ` + ctxTable + ` SET "fixup" = "fixup" - 1`,
				}})
		}
	}
	var out []string
	for _, st := range all {
		if fixups && st.event == "UPDATE" {
			st.when = andGuard(st.when, fixupGuard)
		}
		out = append(out, st.sql(tb))
	}
	return out, nil
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// recompile returns the statements that replace the SQLite triggers of
// tb by the compilation of trigs.
func (t *translator) recompile(tb *Table, trigs []*pgTrigger, source func(string) (string, bool)) ([]string, error) {
	var sqls []string
	for _, st := range tb.Triggers {
		if _, ok := decodeMeta(st.SQL); ok {
			sqls = append(sqls, "DROP TRIGGER IF EXISTS "+quoteIdent(st.Name))
		}
	}
	created, err := compileTable(t.schema, tb, trigs, source)
	if err != nil {
		return nil, err
	}
	return append(sqls, created...), nil
}

func (t *translator) functionSource(name string) (string, bool) {
	if f, ok := t.schema.(Functions); ok {
		return f.Function(name)
	}
	return "", false
}

// ---- DDL ----

func (t *translator) createFunction(s *pg_query.CreateFunctionStmt) (*Plan, error) {
	names := nameList(s.Funcname)
	if len(names) > 1 && names[0] != "public" {
		return nil, pgerr.New(codeInvalidSchemaName, "schema %q does not exist", names[0])
	}
	name := names[len(names)-1]
	if s.IsProcedure {
		return nil, unsupported("CREATE PROCEDURE is not supported")
	}
	if rt := s.ReturnType; rt == nil || len(rt.Names) == 0 || strNode(rt.Names[len(rt.Names)-1]) != "trigger" || len(s.Parameters) > 0 {
		return nil, unsupported("CREATE FUNCTION is only supported for trigger functions (RETURNS trigger, no parameters)")
	}
	lang := ""
	for _, o := range s.Options {
		d := o.GetDefElem()
		if d != nil && d.Defname == "language" {
			lang = strings.ToLower(strNode(d.Arg))
		}
	}
	if lang != "plpgsql" {
		return nil, unsupported("trigger functions in LANGUAGE %s are not supported (only plpgsql)", lang)
	}
	src := t.st.Text
	f, err := parseFunction(src)
	if err != nil {
		return nil, err
	}
	if err := checkFunction(f); err != nil {
		return nil, err
	}
	old, exists := t.functionSource(name)
	if exists && !s.Replace {
		return nil, pgerr.New(codeDuplicateFunc, "function %q already exists with same argument types", name)
	}
	sqls := []string{funcTableDDL,
		"INSERT INTO " + funcTable + ` ("name", "src") VALUES (` + quoteString(name) + ", " + quoteString(src) + `) ON CONFLICT ("name") DO UPDATE SET "src" = excluded."src"`}
	if exists && old != src {
		// Recompile the triggers that call it.
		fs, _ := t.schema.(Functions)
		source := func(fn string) (string, bool) {
			if fn == name {
				return src, true
			}
			return fs.Function(fn)
		}
		callers, err := t.callers(name)
		if err != nil {
			return nil, err
		}
		for _, c := range callers {
			rs, err := t.recompile(c.tb, c.trigs, source)
			if err != nil {
				return nil, err
			}
			sqls = append(sqls, rs...)
		}
	}
	t.schemaCh = true
	return t.finish(sqls, nil)
}

// checkFunction rejects unsupported shapes at CREATE FUNCTION: it checks
// the kinds of the function's statements (and RAISE's form), by the same
// rules plStatement compiles them by; the rest waits for CREATE TRIGGER.
func checkFunction(f *plFunction) error {
	var check func(body []plStmt) error
	check = func(body []plStmt) error {
		for _, s := range body {
			for kind, raw := range s {
				switch kind {
				case "PLpgSQL_stmt_execsql", "PLpgSQL_stmt_assign", "PLpgSQL_stmt_return":
				case "PLpgSQL_stmt_raise":
					var x plRaise
					_ = json.Unmarshal(raw, &x)
					if err := x.check(false); err != nil {
						return err
					}
				case "PLpgSQL_stmt_if":
					var x plIf
					_ = json.Unmarshal(raw, &x)
					bodies := [][]plStmt{x.Then, x.Else}
					for _, e := range x.Elsifs {
						bodies = append(bodies, e.E.Stmts)
					}
					for _, b := range bodies {
						if err := check(b); err != nil {
							return err
						}
					}
				case "PLpgSQL_stmt_block":
					var b plBlock
					_ = json.Unmarshal(raw, &b)
					if b.hasExceptions() {
						return unsupported("EXCEPTION blocks in trigger functions are not supported")
					}
					if err := check(b.Body); err != nil {
						return err
					}
				default:
					return unsupportedPLStmt(kind)
				}
			}
		}
		return nil
	}
	if f.Action.Block.hasExceptions() {
		return unsupported("EXCEPTION blocks in trigger functions are not supported")
	}
	return check(f.Action.Block.Body)
}

func (t *translator) createTrigger(s *pg_query.CreateTrigStmt) (*Plan, error) {
	pt, err := triggerOf(s, t.st.Text)
	if err != nil {
		return nil, err
	}
	tb, err := t.table(s.Relation)
	if err != nil {
		return nil, err
	}
	if strings.HasPrefix(tb.Name, "__replisql_") {
		return nil, unsupported("triggers on RepliSQL's own tables are not supported")
	}
	if _, ok := t.functionSource(pt.fn); !ok {
		return nil, pgerr.New(pgerr.UndefinedFunction, "function %s() does not exist", pt.fn)
	}
	trigs, err := tableTriggers(tb)
	if err != nil {
		return nil, err
	}
	var kept []*pgTrigger
	for _, o := range trigs {
		if o.name == pt.name {
			if !s.Replace {
				return nil, pgerr.New(pgerr.DuplicateObject, "trigger %q for relation %q already exists", pt.name, tb.Name)
			}
			continue
		}
		kept = append(kept, o)
	}
	kept = append(kept, pt)
	sort.Slice(kept, func(i, j int) bool { return kept[i].name < kept[j].name })
	rs, err := t.recompile(tb, kept, t.functionSource)
	if err != nil {
		return nil, err
	}
	t.schemaCh = true
	return t.finish(append(append([]string{}, ctxTableDDL...), rs...), nil)
}

// dropTriggerOrFunction handles DROP TRIGGER and DROP FUNCTION.
func (t *translator) dropTriggerOrFunction(s *pg_query.DropStmt) (*Plan, error) {
	if s.Behavior == pg_query.DropBehavior_DROP_CASCADE {
		return nil, unsupported("DROP %s … CASCADE is not supported", objectTypeName(s.RemoveType))
	}
	var sqls []string
	if s.RemoveType == pg_query.ObjectType_OBJECT_TRIGGER {
		for _, o := range s.Objects {
			names := nameList(o.GetList().GetItems())
			if len(names) < 2 {
				return nil, pgerr.New(pgerr.SyntaxError, "DROP TRIGGER needs ON table")
			}
			tname, trig := names[len(names)-2], names[len(names)-1]
			tb, ok := t.schema.Table(tname)
			if !ok {
				if s.MissingOk {
					t.notices = append(t.notices, notice("relation \""+tname+"\" does not exist, skipping"))
					continue
				}
				return nil, pgerr.New(pgerr.UndefinedTable, "relation %q does not exist", tname)
			}
			trigs, err := tableTriggers(tb)
			if err != nil {
				return nil, err
			}
			var kept []*pgTrigger
			for _, pt := range trigs {
				if pt.name != trig {
					kept = append(kept, pt)
				}
			}
			if len(kept) == len(trigs) {
				if s.MissingOk {
					t.notices = append(t.notices, notice("trigger \""+trig+"\" for relation \""+tname+"\" does not exist, skipping"))
					continue
				}
				return nil, pgerr.New(pgerr.UndefinedObject, "trigger %q for table %q does not exist", trig, tname)
			}
			rs, err := t.recompile(tb, kept, t.functionSource)
			if err != nil {
				return nil, err
			}
			sqls = append(sqls, rs...)
		}
	} else {
		for _, o := range s.Objects {
			ow := o.GetObjectWithArgs()
			if ow == nil {
				return nil, unsupported("DROP FUNCTION form is not supported")
			}
			names := nameList(ow.Objname)
			name := names[len(names)-1]
			_, ok := t.functionSource(name)
			if !ok || len(ow.Objargs) > 0 || (len(names) > 1 && names[0] != "public") {
				if s.MissingOk {
					t.notices = append(t.notices, notice("function "+name+"() does not exist, skipping"))
					continue
				}
				return nil, pgerr.New(pgerr.UndefinedFunction, "function %s() does not exist", name)
			}
			callers, err := t.callers(name)
			if err != nil {
				return nil, err
			}
			for _, c := range callers {
				for _, pt := range c.trigs {
					if pt.fn == name {
						e := pgerr.New(codeDependentObjects, "cannot drop function %s() because other objects depend on it", name)
						e.Detail = "trigger " + pt.name + " on table " + c.tb.Name + " depends on function " + name + "()"
						e.Hint = "Use DROP ... CASCADE to drop the dependent objects too."
						return nil, e
					}
				}
			}
			sqls = append(sqls, "DELETE FROM "+funcTable+` WHERE "name" = `+quoteString(name))
		}
	}
	t.schemaCh = len(sqls) > 0
	return t.finish(sqls, nil)
}

// triggerTable is a table with its triggers.
type triggerTable struct {
	tb    *Table
	trigs []*pgTrigger
}

// callers returns the tables that have a trigger calling the function
// name, each with all its triggers.
func (t *translator) callers(name string) ([]triggerTable, error) {
	fs, _ := t.schema.(Functions)
	if fs == nil {
		return nil, nil
	}
	var out []triggerTable
	for _, tn := range fs.TriggerTables() {
		tb, ok := t.schema.Table(tn)
		if !ok {
			continue
		}
		trigs, err := tableTriggers(tb)
		if err != nil {
			return nil, err
		}
		for _, pt := range trigs {
			if pt.fn == name {
				out = append(out, triggerTable{tb, trigs})
				break
			}
		}
	}
	return out, nil
}

// ---- DML on tables with triggers ----

// triggerPlan checks a client statement against the triggers it may fire
// and, where they read session values, sets t.trigPre to the UPDATE of
// __replisql_trigger_ctx that pins them for this statement.
func (t *translator) triggerPlan(n *pg_query.Node) error {
	if t.inTrigger {
		return nil
	}
	fs, ok := t.schema.(Functions)
	if !ok {
		return nil
	}
	trigTables := fs.TriggerTables()
	if len(trigTables) == 0 {
		return nil
	}
	// Tables whose triggers read session values; cascades through
	// foreign keys may fire those of a table with REFERENCES clauses.
	// Found at the first table the statement writes: most statements
	// write none.
	var ctxTables map[string]bool
	cascade := false
	findCtxTables := func() {
		if ctxTables != nil {
			return
		}
		ctxTables = map[string]bool{}
		for _, tn := range trigTables {
			tb, ok := t.schema.Table(tn)
			if !ok {
				continue
			}
			for _, st := range tb.Triggers {
				if strings.Contains(st.SQL, ctxReadPrefix) {
					ctxTables[tn] = true
					cascade = cascade || strings.Contains(strings.ToLower(tb.SQL), "references")
					break
				}
			}
		}
	}
	need := false
	var err error
	check := func(rv *pg_query.RangeVar, returning, conflict bool, op string) {
		if rv == nil || err != nil {
			return
		}
		findCtxTables()
		tb, ok := t.schema.Table(rv.Relname)
		if !ok || len(tb.Triggers) == 0 {
			need = need || (cascade && ok)
			return
		}
		need = need || ctxTables[tb.Name] || cascade
		for _, st := range tb.Triggers {
			if !strings.HasSuffix(st.Name, "/"+strings.ToLower(op)) {
				continue
			}
			if m, _ := decodeMeta(st.SQL); !m.Fixup {
				continue
			}
			switch {
			case returning:
				err = unsupported("%s … RETURNING on table %q, whose BEFORE triggers assign NEW, is not supported", op, tb.Name)
			case conflict:
				err = unsupported("INSERT … ON CONFLICT on table %q, whose BEFORE triggers assign NEW, is not supported", tb.Name)
			}
		}
	}
	walk(n.ProtoReflect(), func(m protoreflect.Message) bool {
		switch x := m.Interface().(type) {
		case *pg_query.InsertStmt:
			check(x.Relation, len(x.ReturningList) > 0, x.OnConflictClause != nil, "INSERT")
		case *pg_query.UpdateStmt:
			check(x.Relation, len(x.ReturningList) > 0, false, "UPDATE")
		case *pg_query.DeleteStmt:
			check(x.Relation, len(x.ReturningList) > 0, false, "DELETE")
		case *pg_query.CopyStmt:
			if x.IsFrom {
				check(x.Relation, false, false, "INSERT")
			}
		case *pg_query.TruncateStmt:
			for _, r := range x.Relations {
				if rv := r.GetRangeVar(); rv != nil {
					if tb, ok := t.schema.Table(rv.Relname); ok && len(tb.Triggers) > 0 && err == nil {
						err = unsupported("TRUNCATE of table %q, which has triggers, is not supported", tb.Name)
					}
				}
			}
		}
		return err == nil
	})
	if err != nil || !need {
		return err
	}
	var sets []string
	for _, cc := range ctxColumns {
		v, err := t.extra(cc.v)
		if err != nil {
			return err
		}
		sets = append(sets, quoteIdent(cc.col)+" = "+v)
	}
	t.trigPre = "UPDATE " + ctxTable + " SET " + strings.Join(sets, ", ")
	return nil
}
