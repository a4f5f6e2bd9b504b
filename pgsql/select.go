package pgsql

import (
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/replisql/replisql/pgwire/pgerr"
)

// query is a translated query: its SQL and its output columns.
type query struct {
	sql  string
	cols []*expr
}

func (q *query) columns() []Column {
	out := make([]Column, len(q.cols))
	for i, c := range q.cols {
		oid := c.t.oid
		if oid == 0 {
			oid = OIDText
		}
		out[i] = Column{Name: c.name, TypeOID: oid, TypeMod: c.t.mod, TableOID: c.tableOID, AttNum: c.attnum}
	}
	return out
}

// selectStmt translates a SELECT (or VALUES, or set operation). parent is
// the enclosing scope for correlated subqueries; names, when given,
// rename the output columns.
func (t *translator) selectStmt(s *pg_query.SelectStmt, parent *scope, names []string) (*query, error) {
	if s == nil {
		return nil, unsupported("this kind of query is not supported here")
	}
	var with string
	if s.WithClause != nil {
		w, err := t.withClause(s.WithClause, parent)
		if err != nil {
			return nil, err
		}
		defer func() { t.ctes = t.ctes[:len(t.ctes)-1] }()
		with = w
	}
	var q *query
	var err error
	switch {
	case s.Op != pg_query.SetOperation_SETOP_NONE && s.Op != pg_query.SetOperation_SET_OPERATION_UNDEFINED:
		q, err = t.setOp(s, parent, names)
	case len(s.ValuesLists) > 0:
		q, err = t.values(s, parent, names)
	default:
		q, err = t.simpleSelect(s, parent, names)
	}
	if err != nil {
		return nil, err
	}
	if with != "" {
		q.sql = with + q.sql
	}
	return q, nil
}

func (t *translator) withClause(w *pg_query.WithClause, parent *scope) (string, error) {
	saved := t.randomOK
	t.randomOK = false
	defer func() { t.randomOK = saved }()
	m := map[string]*rel{}
	t.ctes = append(t.ctes, m)
	var parts []string
	for _, c := range w.Ctes {
		cte := c.GetCommonTableExpr()
		sel := cte.Ctequery.GetSelectStmt()
		if sel == nil {
			return "", unsupported("data-modifying statements in WITH are not supported")
		}
		if cte.SearchClause != nil || cte.CycleClause != nil {
			return "", unsupported("SEARCH and CYCLE clauses are not supported")
		}
		aliases := nameList(cte.Aliascolnames)
		if w.Recursive && sel.Op == pg_query.SetOperation_SETOP_UNION {
			// Type the recursive query by its non-recursive part.
			l, err := t.selectStmt(sel.Larg, parent, aliases)
			if err != nil {
				return "", err
			}
			m[cte.Ctename] = cteRel(cte.Ctename, l, aliases)
		}
		q, err := t.selectStmt(sel, parent, aliases)
		if err != nil {
			return "", err
		}
		r := cteRel(cte.Ctename, q, aliases)
		m[cte.Ctename] = r
		var cn []string
		for _, c := range r.cols {
			cn = append(cn, quoteIdent(c.name))
		}
		parts = append(parts, quoteIdent(cte.Ctename)+"("+strings.Join(cn, ", ")+") AS ("+q.sql+")")
	}
	kw := "WITH "
	if w.Recursive {
		kw = "WITH RECURSIVE "
	}
	return kw + strings.Join(parts, ", ") + " ", nil
}

func cteRel(name string, q *query, aliases []string) *rel {
	r := &rel{name: name}
	for i, c := range q.cols {
		n := c.name
		if i < len(aliases) {
			n = aliases[i]
		}
		r.cols = append(r.cols, col{name: n, t: c.t})
	}
	return r
}

func (t *translator) lookupCTE(name string) *rel {
	for i := len(t.ctes) - 1; i >= 0; i-- {
		if r, ok := t.ctes[i][name]; ok {
			return r
		}
	}
	return nil
}

func (t *translator) setOp(s *pg_query.SelectStmt, parent *scope, names []string) (*query, error) {
	saved := t.randomOK
	t.randomOK = false
	defer func() { t.randomOK = saved }()
	l, err := t.selectStmt(s.Larg, parent, names)
	if err != nil {
		return nil, err
	}
	r, err := t.selectStmt(s.Rarg, parent, nil)
	if err != nil {
		return nil, err
	}
	if len(l.cols) != len(r.cols) {
		return nil, pgerr.New(pgerr.SyntaxError, "each %s query must have the same number of columns", setOpName(s.Op))
	}
	op := setOpName(s.Op)
	if s.All {
		if s.Op != pg_query.SetOperation_SETOP_UNION {
			return nil, unsupported("%s ALL is not supported", op)
		}
		op += " ALL"
	}
	lsql := l.sql
	if needsWrap(s.Larg) {
		lsql = "SELECT * FROM (" + lsql + ")"
	}
	rsql := r.sql
	if needsWrap(s.Rarg) || s.Rarg.Op != pg_query.SetOperation_SETOP_NONE {
		rsql = "SELECT * FROM (" + rsql + ")"
	}
	cols := make([]*expr, len(l.cols))
	for i, c := range l.cols {
		cc := *c
		if cc.t.oid == OIDText && cc.unknownOrigin && r.cols[i].t.oid != 0 {
			cc.t = r.cols[i].t
		}
		if cc.tableOID != r.cols[i].tableOID || cc.attnum != r.cols[i].attnum {
			cc.tableOID, cc.attnum = 0, 0
		}
		cols[i] = &cc
	}
	sql := lsql + " " + op + " " + rsql
	tail, err := t.orderLimit(s, nil, cols)
	if err != nil {
		return nil, err
	}
	return &query{sql: sql + tail, cols: cols}, nil
}

func needsWrap(s *pg_query.SelectStmt) bool {
	return len(s.SortClause) > 0 || s.LimitCount != nil || s.LimitOffset != nil || s.WithClause != nil
}

func setOpName(op pg_query.SetOperation) string {
	switch op {
	case pg_query.SetOperation_SETOP_INTERSECT:
		return "INTERSECT"
	case pg_query.SetOperation_SETOP_EXCEPT:
		return "EXCEPT"
	}
	return "UNION"
}

func (t *translator) values(s *pg_query.SelectStmt, parent *scope, names []string) (*query, error) {
	sc := &scope{parent: parent}
	var rows [][]*expr
	for _, l := range s.ValuesLists {
		items := l.GetList().GetItems()
		if len(rows) > 0 && len(items) != len(rows[0]) {
			return nil, pgerr.New(pgerr.SyntaxError, "VALUES lists must all be the same length")
		}
		var row []*expr
		for _, it := range items {
			if it.GetSetToDefault() != nil {
				return nil, unsupported("DEFAULT in VALUES is not supported here")
			}
			e, err := t.expr(it, sc)
			if err != nil {
				return nil, err
			}
			row = append(row, e)
		}
		rows = append(rows, row)
	}
	ncol := len(rows[0])
	types := make([]pgType, ncol)
	for c := 0; c < ncol; c++ {
		for _, r := range rows {
			if r[c].t.oid != 0 {
				if types[c].oid == 0 {
					types[c] = pgType{r[c].t.oid, -1}
				} else if isNumericType(types[c].oid) && isNumericType(r[c].t.oid) {
					types[c] = promote(types[c], r[c].t)
				}
			}
		}
		if types[c].oid == 0 {
			types[c] = tText
		}
	}
	var b strings.Builder
	b.WriteString("VALUES ")
	for i, r := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(")
		for c, e := range r {
			if c > 0 {
				b.WriteString(", ")
			}
			ce, err := t.coerce(e, types[c])
			if err != nil {
				return nil, err
			}
			b.WriteString(ce.sql)
		}
		b.WriteString(")")
	}
	cols := make([]*expr, ncol)
	sql := b.String()
	var sel []string
	for c := 0; c < ncol; c++ {
		name := "column" + strconv.Itoa(c+1)
		if c < len(names) {
			name = names[c]
		}
		cols[c] = &expr{name: name, t: types[c], strength: 2}
		sel = append(sel, quoteIdent("column"+strconv.Itoa(c+1))+" AS "+quoteIdent(name))
	}
	tail, err := t.orderLimit(s, nil, cols)
	if err != nil {
		return nil, err
	}
	if len(names) > 0 || tail != "" {
		sql = "SELECT " + strings.Join(sel, ", ") + " FROM (" + sql + ")" + tail
	}
	return &query{sql: sql, cols: cols}, nil
}

func (t *translator) simpleSelect(s *pg_query.SelectStmt, parent *scope, names []string) (*query, error) {
	if s.IntoClause != nil {
		return nil, unsupported("SELECT INTO is not supported")
	}
	if len(s.WindowClause) > 0 {
		return nil, unsupported("WINDOW clauses are not supported")
	}
	sc := &scope{parent: parent}
	if len(s.FromClause) > 0 || len(s.GroupClause) > 0 {
		// Rows repeat call sites: random() would repeat its value.
		saved, savedRow := t.randomOK, t.randomRow
		t.randomOK = false
		defer func() { t.randomOK, t.randomRow = saved, savedRow }()
	}
	var b strings.Builder
	b.WriteString("SELECT ")
	distinctOn := false
	if len(s.DistinctClause) > 0 {
		if len(s.DistinctClause) == 1 && s.DistinctClause[0].Node == nil {
			b.WriteString("DISTINCT ")
		} else {
			distinctOn = true
		}
	}
	var from string
	if len(s.FromClause) > 0 {
		var items []string
		for _, f := range s.FromClause {
			sql, rels, err := t.fromItem(f, sc)
			if err != nil {
				return nil, err
			}
			sc.rels = append(sc.rels, rels...)
			items = append(items, sql)
		}
		from = " FROM " + strings.Join(items, ", ")
		if len(sc.rels) == 1 && sc.rels[0].table != nil && len(s.GroupClause) == 0 && len(s.FromClause) == 1 && s.FromClause[0].GetRangeVar() != nil {
			// One table: its rowid tells rows apart for random().
			t.randomOK, t.randomRow = true, quoteIdent(sc.rels[0].name)+".rowid"
		}
	}
	// Select list.
	var cols []*expr
	var targets []string
	for _, tn := range s.TargetList {
		rt := tn.GetResTarget()
		if cr := rt.Val.GetColumnRef(); cr != nil && cr.Fields[len(cr.Fields)-1].GetAStar() != nil {
			exp, err := t.expandStar(cr, sc)
			if err != nil {
				return nil, err
			}
			for _, e := range exp {
				cols = append(cols, e)
				targets = append(targets, e.sql)
			}
			continue
		}
		e, err := t.expr(rt.Val, sc)
		if err != nil {
			return nil, err
		}
		if e.t.oid == 0 {
			e = t.resolveUnknown(e)
			e.unknownOrigin = true
		}
		if rt.Name != "" {
			e.name, e.strength = rt.Name, 3
		}
		if e.name == "" {
			e.name = "?column?"
		}
		cols = append(cols, e)
	}
	for i, e := range cols {
		if i < len(names) {
			e.name = names[i]
		}
	}
	// Rebuild targets with aliases (star columns included).
	targets = targets[:0]
	for _, e := range cols {
		targets = append(targets, e.sql+" AS "+quoteIdent(e.name))
	}
	if len(cols) == 0 {
		return nil, unsupported("SELECT without columns is not supported")
	}
	b.WriteString(strings.Join(targets, ", "))
	b.WriteString(from)
	if s.WhereClause != nil {
		w, err := t.expr(s.WhereClause, sc)
		if err != nil {
			return nil, err
		}
		if w.agg {
			return nil, pgerr.New(pgerr.GroupingError, "aggregate functions are not allowed in WHERE")
		}
		if w, err = t.condition(w, "WHERE"); err != nil {
			return nil, err
		}
		b.WriteString(" WHERE " + w.sql)
	}
	if len(s.GroupClause) > 0 {
		var gs []string
		for _, g := range s.GroupClause {
			switch g.Node.(type) {
			case *pg_query.Node_GroupingSet:
				return nil, unsupported("GROUPING SETS, ROLLUP and CUBE are not supported")
			}
			if c := g.GetAConst(); c != nil && c.GetIval() != nil {
				gs = append(gs, strconv.Itoa(int(c.GetIval().Ival)))
				continue
			}
			if pos := outputRef(g, cols, sc); pos > 0 {
				gs = append(gs, strconv.Itoa(pos))
				continue
			}
			e, err := t.expr(g, sc)
			if err != nil {
				return nil, err
			}
			gs = append(gs, e.sql)
		}
		b.WriteString(" GROUP BY " + strings.Join(gs, ", "))
	}
	if s.HavingClause != nil {
		h, err := t.expr(s.HavingClause, sc)
		if err != nil {
			return nil, err
		}
		if h, err = t.coerce(h, tBool); err != nil {
			return nil, err
		}
		b.WriteString(" HAVING " + h.sql)
	}
	if distinctOn {
		return t.distinctOn(s, sc, cols, b.String())
	}
	tail, err := t.orderLimit(s, sc, cols)
	if err != nil {
		return nil, err
	}
	b.WriteString(tail)
	return &query{sql: b.String(), cols: cols}, nil
}

// distinctOn translates SELECT DISTINCT ON (d…) … ORDER BY o…: the first
// row of each d group in o order, by row_number() over the groups:
//
//	SELECT outputs FROM (inner, row_number() OVER (PARTITION BY d ORDER BY o) AS __rn, o AS __o…)
//	WHERE __rn = 1 ORDER BY __o… LIMIT …
func (t *translator) distinctOn(s *pg_query.SelectStmt, sc *scope, cols []*expr, inner string) (*query, error) {
	// exprOf resolves an item as ORDER BY would: a position or an output
	// name, else an expression over the FROM clause.
	exprOf := func(n *pg_query.Node) (string, error) {
		if c := n.GetAConst(); c != nil && c.GetIval() != nil {
			p := int(c.GetIval().Ival)
			if p < 1 || p > len(cols) {
				return "", pgerr.New(pgerr.InvalidColumnReference, "SELECT DISTINCT ON position %d is not in select list", p)
			}
			return cols[p-1].sql, nil
		}
		if p := outputRefOrder(n, cols); p > 0 {
			return cols[p-1].sql, nil
		}
		e, err := t.expr(n, sc)
		if err != nil {
			return "", err
		}
		return e.sql, nil
	}
	var parts []string
	for _, d := range s.DistinctClause {
		e, err := exprOf(d)
		if err != nil {
			return nil, err
		}
		parts = append(parts, e)
	}
	var orders, hidden, outer []string
	for i, it := range s.SortClause {
		sb := it.GetSortBy()
		if sb == nil || sb.SortbyDir == pg_query.SortByDir_SORTBY_USING {
			return nil, unsupported("this ORDER BY is not supported with DISTINCT ON")
		}
		e, err := exprOf(sb.Node)
		if err != nil {
			return nil, err
		}
		dir := ""
		desc := sb.SortbyDir == pg_query.SortByDir_SORTBY_DESC
		if desc {
			dir = " DESC"
		}
		switch {
		case sb.SortbyNulls == pg_query.SortByNulls_SORTBY_NULLS_FIRST || (sb.SortbyNulls != pg_query.SortByNulls_SORTBY_NULLS_LAST && desc):
			dir += " NULLS FIRST"
		default:
			dir += " NULLS LAST"
		}
		h := quoteIdent("__o" + strconv.Itoa(i+1))
		orders = append(orders, e+dir)
		hidden = append(hidden, e+" AS "+h)
		outer = append(outer, h+dir)
	}
	var win strings.Builder
	win.WriteString("row_number() OVER (PARTITION BY " + strings.Join(parts, ", "))
	if len(orders) > 0 {
		win.WriteString(" ORDER BY " + strings.Join(orders, ", "))
	}
	win.WriteString(") AS \"__rn\"")
	// inner is "SELECT t1 AS n1, … FROM …": add the window and the hidden
	// order columns after the select list.
	var sel []string
	for i, c := range cols {
		sel = append(sel, c.sql+" AS "+quoteIdent("__c"+strconv.Itoa(i+1)))
	}
	rest := inner[len("SELECT "):]
	// The select list was written as the aliases joined; cut it off.
	var targets []string
	for _, e := range cols {
		targets = append(targets, e.sql+" AS "+quoteIdent(e.name))
	}
	list := strings.Join(targets, ", ")
	if !strings.HasPrefix(rest, list) {
		return nil, pgerr.New(pgerr.InternalError, "DISTINCT ON: unexpected select list")
	}
	innerSQL := "SELECT " + strings.Join(append(append(sel, win.String()), hidden...), ", ") + rest[len(list):]
	var outCols []string
	for i, c := range cols {
		outCols = append(outCols, quoteIdent("__c"+strconv.Itoa(i+1))+" AS "+quoteIdent(c.name))
	}
	sql := "SELECT " + strings.Join(outCols, ", ") + " FROM (" + innerSQL + ") WHERE \"__rn\" = 1"
	if len(outer) > 0 {
		sql += " ORDER BY " + strings.Join(outer, ", ")
	}
	tail, err := t.orderLimit(&pg_query.SelectStmt{LimitCount: s.LimitCount, LimitOffset: s.LimitOffset, LimitOption: s.LimitOption}, sc, cols)
	if err != nil {
		return nil, err
	}
	return &query{sql: sql + tail, cols: cols}, nil
}

// outputRef returns the 1-based position of the output column that a
// bare name in GROUP BY or ORDER BY refers to, or 0. For GROUP BY, input
// columns win (sc != nil checks them first).
func outputRef(n *pg_query.Node, cols []*expr, sc *scope) int {
	cr := n.GetColumnRef()
	if cr == nil || len(cr.Fields) != 1 || cr.Fields[0].GetString_() == nil {
		return 0
	}
	name := strNode(cr.Fields[0])
	if sc != nil {
		for _, r := range sc.rels {
			for _, c := range r.cols {
				if c.name == name {
					return 0
				}
			}
		}
	}
	for i, c := range cols {
		if c.name == name && c.strength == 3 {
			return i + 1
		}
	}
	return 0
}

// orderLimit renders ORDER BY, LIMIT and OFFSET. sc is nil for set
// operations (only output columns are visible).
func (t *translator) orderLimit(s *pg_query.SelectStmt, sc *scope, cols []*expr) (string, error) {
	var b strings.Builder
	if len(s.SortClause) > 0 {
		ob, err := t.orderBy(s.SortClause, sc, cols)
		if err != nil {
			return "", err
		}
		b.WriteString(" ORDER BY " + ob)
	}
	if s.LimitOption == pg_query.LimitOption_LIMIT_OPTION_WITH_TIES {
		return "", unsupported("FETCH FIRST … WITH TIES is not supported")
	}
	limit, offset := "", ""
	if s.LimitCount != nil {
		if c := s.LimitCount.GetAConst(); c == nil || !c.Isnull {
			e, err := t.expr(s.LimitCount, sc)
			if err != nil {
				return "", err
			}
			if e, err = t.coerce(e, tInt8); err != nil {
				return "", err
			}
			if negativeConst(s.LimitCount) {
				return "", pgerr.New(pgerr.Code("2201W"), "LIMIT must not be negative")
			}
			limit = e.sql
		}
	}
	if s.LimitOffset != nil {
		e, err := t.expr(s.LimitOffset, sc)
		if err != nil {
			return "", err
		}
		if negativeConst(s.LimitOffset) {
			return "", pgerr.New(pgerr.Code("2201X"), "OFFSET must not be negative")
		}
		if e, err = t.coerce(e, tInt8); err != nil {
			return "", err
		}
		offset = e.sql
	}
	if limit != "" || offset != "" {
		if limit == "" {
			limit = "-1"
		}
		b.WriteString(" LIMIT " + limit)
		if offset != "" {
			b.WriteString(" OFFSET " + offset)
		}
	}
	return b.String(), nil
}

// negativeConst reports whether n is a negative integer constant (a
// LIMIT or OFFSET that PostgreSQL rejects; a SQLite LIMIT -1 means none).
func negativeConst(n *pg_query.Node) bool {
	if c := n.GetAConst(); c != nil && c.GetIval() != nil {
		return c.GetIval().Ival < 0
	}
	return false
}

func (t *translator) orderBy(items []*pg_query.Node, sc *scope, cols []*expr) (string, error) {
	var parts []string
	for _, it := range items {
		sb := it.GetSortBy()
		if sb == nil {
			return "", unsupported("ORDER BY item is not supported")
		}
		if sb.SortbyDir == pg_query.SortByDir_SORTBY_USING {
			return "", unsupported("ORDER BY … USING is not supported")
		}
		var sql string
		if c := sb.Node.GetAConst(); c != nil && c.GetIval() != nil && cols != nil {
			p := int(c.GetIval().Ival)
			if p < 1 || p > len(cols) {
				return "", pgerr.New(pgerr.InvalidColumnReference, "ORDER BY position %d is not in select list", p)
			}
			sql = strconv.Itoa(p)
		} else if pos := outputRefOrder(sb.Node, cols); pos > 0 {
			sql = strconv.Itoa(pos)
		} else {
			if sc == nil {
				return "", unsupported("ORDER BY on a set operation must name output columns")
			}
			e, err := t.expr(sb.Node, sc)
			if err != nil {
				return "", err
			}
			sql = e.sql
		}
		desc := sb.SortbyDir == pg_query.SortByDir_SORTBY_DESC
		if desc {
			sql += " DESC"
		}
		switch sb.SortbyNulls {
		case pg_query.SortByNulls_SORTBY_NULLS_FIRST:
			sql += " NULLS FIRST"
		case pg_query.SortByNulls_SORTBY_NULLS_LAST:
			sql += " NULLS LAST"
		default:
			// PostgreSQL sorts NULL as larger than any value.
			if desc {
				sql += " NULLS FIRST"
			} else {
				sql += " NULLS LAST"
			}
		}
		parts = append(parts, sql)
	}
	return strings.Join(parts, ", "), nil
}

// outputRefOrder: in ORDER BY a bare name refers to an output column
// first.
func outputRefOrder(n *pg_query.Node, cols []*expr) int {
	cr := n.GetColumnRef()
	if cr == nil || len(cr.Fields) != 1 || cr.Fields[0].GetString_() == nil {
		return 0
	}
	name := strNode(cr.Fields[0])
	for i, c := range cols {
		if c.name == name {
			return i + 1
		}
	}
	return 0
}

func (t *translator) expandStar(cr *pg_query.ColumnRef, sc *scope) ([]*expr, error) {
	qual := ""
	if len(cr.Fields) == 2 {
		qual = strNode(cr.Fields[0])
	} else if len(cr.Fields) > 2 {
		return nil, unsupported("qualified * is not supported")
	}
	var out []*expr
	found := false
	if qual == "" && len(sc.rels) == 2 && (sc.rels[0].merged != nil) != (sc.rels[1].merged != nil) {
		// a JOIN b USING (k): k first, then the other columns of a, then b's.
		keep, hid := sc.rels[0], sc.rels[1]
		if keep.merged != nil {
			keep, hid = hid, keep
		}
		col := func(r *rel, name string) *expr {
			for _, c := range r.cols {
				if c.name == name {
					return &expr{sql: r.colSQL(c.name), t: c.t, name: c.name, strength: 2, tableOID: c.tableOID, attnum: c.attnum}
				}
			}
			return nil
		}
		for _, u := range hid.using {
			if e := col(keep, u); e != nil {
				out = append(out, e)
			}
		}
		for _, r := range sc.rels {
			for _, c := range r.cols {
				if !hid.merged[c.name] {
					out = append(out, col(r, c.name))
				}
			}
		}
		return out, nil
	}
	for _, r := range sc.rels {
		if qual != "" && r.name != qual {
			continue
		}
		found = true
		if r.merged != nil && qual == "" {
			return nil, unsupported("* over this JOIN … USING is not supported; list the columns")
		}
		for _, c := range r.cols {
			out = append(out, &expr{sql: r.colSQL(c.name), t: c.t, name: c.name, strength: 2, tableOID: c.tableOID, attnum: c.attnum})
		}
	}
	if qual != "" && !found {
		return nil, t.errAt(cr.Location, pgerr.UndefinedTable, "missing FROM-clause entry for table %q", qual)
	}
	if qual == "" && len(sc.rels) == 0 {
		return nil, t.errAt(cr.Location, pgerr.SyntaxError, "SELECT * with no tables specified is not valid")
	}
	return out, nil
}

// ---- FROM ----

func (t *translator) fromItem(n *pg_query.Node, sc *scope) (string, []*rel, error) {
	switch x := n.Node.(type) {
	case *pg_query.Node_RangeVar:
		return t.rangeVar(x.RangeVar)
	case *pg_query.Node_JoinExpr:
		return t.join(x.JoinExpr, sc)
	case *pg_query.Node_RangeSubselect:
		rs := x.RangeSubselect
		if rs.Lateral {
			return "", nil, unsupported("LATERAL is not supported")
		}
		if rs.Alias == nil {
			return "", nil, pgerr.New(pgerr.SyntaxError, "subquery in FROM must have an alias")
		}
		q, err := t.selectStmt(rs.Subquery.GetSelectStmt(), sc.parent, nameList(rs.Alias.Colnames))
		if err != nil {
			return "", nil, err
		}
		r := &rel{name: rs.Alias.Aliasname}
		for _, c := range q.cols {
			r.cols = append(r.cols, col{name: c.name, t: c.t})
		}
		return "(" + q.sql + ") AS " + quoteIdent(r.name), []*rel{r}, nil
	case *pg_query.Node_RangeFunction:
		return t.rangeFunction(x.RangeFunction, sc)
	}
	return "", nil, unsupported("FROM item %s is not supported", nodeName(n))
}

func (t *translator) rangeVar(rv *pg_query.RangeVar) (string, []*rel, error) {
	if rv.Schemaname == "" {
		if r := t.lookupCTE(rv.Relname); r != nil {
			name := rv.Relname
			sql := quoteIdent(rv.Relname)
			out := &rel{name: name, cols: r.cols}
			if rv.Alias != nil {
				out.name = rv.Alias.Aliasname
				sql += " AS " + quoteIdent(out.name)
				if len(rv.Alias.Colnames) > 0 {
					return "", nil, unsupported("column aliases on a WITH query reference are not supported")
				}
			}
			return sql, []*rel{out}, nil
		}
	}
	if t.isCatalogRef(rv.Schemaname, rv.Relname) {
		return t.catalogRelation(rv)
	}
	tb, err := t.table(rv)
	if err != nil {
		return "", nil, err
	}
	r := tableRel(tb)
	sql := quoteIdent(tb.Name)
	if rv.Alias != nil {
		r.name = rv.Alias.Aliasname
		if cn := nameList(rv.Alias.Colnames); len(cn) > 0 {
			var sel []string
			for i := range r.cols {
				if i < len(cn) {
					sel = append(sel, quoteIdent(r.cols[i].name)+" AS "+quoteIdent(cn[i]))
					r.cols[i].name = cn[i]
				} else {
					sel = append(sel, quoteIdent(r.cols[i].name))
				}
			}
			return "(SELECT " + strings.Join(sel, ", ") + " FROM " + sql + ") AS " + quoteIdent(r.name), []*rel{r}, nil
		}
		sql += " AS " + quoteIdent(r.name)
	}
	return sql, []*rel{r}, nil
}

func tableRel(tb *Table) *rel {
	r := &rel{name: tb.Name, table: tb, cols: make([]col, len(tb.Columns))}
	for i := range tb.Columns {
		c := &tb.Columns[i]
		r.cols[i] = col{name: c.Name, t: colType(c), tableOID: tb.OID, attnum: int16(i + 1)}
	}
	return r
}

// colType is the PostgreSQL type of a table column.
func colType(c *TableColumn) pgType {
	oid, mod := columnType(c)
	return pgType{oid, mod}
}

func columnType(c *TableColumn) (uint32, int32) {
	if c.TypeOID != 0 {
		return c.TypeOID, c.TypeMod
	}
	return TypeOID(c.Type)
}

// table resolves a user table; 42P01 when it does not exist.
func (t *translator) table(rv *pg_query.RangeVar) (*Table, error) {
	if rv.Schemaname != "" && rv.Schemaname != "public" {
		return nil, t.errAt(rv.Location, pgerr.UndefinedTable, "relation \"%s.%s\" does not exist", rv.Schemaname, rv.Relname)
	}
	if rv.Relpersistence == "t" {
		return nil, unsupported("temporary tables are not supported")
	}
	tb, ok := t.schema.Table(rv.Relname)
	if !ok {
		return nil, t.errAt(rv.Location, pgerr.UndefinedTable, "relation %q does not exist", rv.Relname)
	}
	return tb, nil
}

// isCatalogRef reports whether a relation reference names a system
// catalog (pg_catalog.*, information_schema.*, or an unqualified name
// that is not a user table but a pg_catalog relation).
func (t *translator) isCatalogRef(schema, name string) bool {
	switch schema {
	case "pg_catalog", "information_schema":
		return true
	case "":
		if _, user := t.schema.Table(name); user {
			return false
		}
		if c, ok := t.schema.(Catalog); ok {
			_, _, found := c.CatalogRelation("pg_catalog", name)
			return found
		}
		return strings.HasPrefix(name, "pg_")
	}
	return false
}

// catalogRelation is the one place where system catalog references are
// resolved. The catalog emulation plugs in here; until then they are not
// supported.
func (t *translator) catalogRelation(rv *pg_query.RangeVar) (string, []*rel, error) {
	schema := rv.Schemaname
	if schema == "" {
		schema = "pg_catalog"
	}
	if c, ok := t.schema.(Catalog); ok {
		if src, cols, ok := c.CatalogRelation(schema, rv.Relname); ok {
			t.catalog = true
			r := &rel{name: rv.Relname}
			for i, cc := range cols {
				r.cols = append(r.cols, col{name: cc.Name, t: pgType{cc.TypeOID, cc.TypeMod}, tableOID: cc.TableOID, attnum: int16(i + 1)})
			}
			sql := src
			if rv.Alias != nil {
				r.name = rv.Alias.Aliasname
				if len(rv.Alias.Colnames) > 0 {
					return "", nil, unsupported("column aliases on a system catalog are not supported")
				}
			}
			return sql + " AS " + quoteIdent(r.name), []*rel{r}, nil
		}
		return "", nil, t.errAt(rv.Location, pgerr.UndefinedTable, "relation \"%s.%s\" does not exist", schema, rv.Relname)
	}
	return "", nil, unsupported("system catalog %s.%s is not supported yet", schema, rv.Relname)
}

func (t *translator) join(j *pg_query.JoinExpr, sc *scope) (string, []*rel, error) {
	if j.Alias != nil {
		return "", nil, unsupported("aliases on JOIN are not supported")
	}
	lsql, lrels, err := t.fromItem(j.Larg, sc)
	if err != nil {
		return "", nil, err
	}
	if r, ok, err := t.inlineLateral(j, lrels, sc); ok || err != nil {
		return lsql, append(lrels, r), err
	}
	rsql, rrels, err := t.fromItem(j.Rarg, sc)
	if err != nil {
		return "", nil, err
	}
	if j.Rarg.GetJoinExpr() != nil {
		rsql = "(" + rsql + ")"
	}
	var kw string
	switch j.Jointype {
	case pg_query.JoinType_JOIN_INNER:
		kw = "JOIN"
		if j.Quals == nil && len(j.UsingClause) == 0 && !j.IsNatural {
			kw = "CROSS JOIN"
		}
	case pg_query.JoinType_JOIN_LEFT:
		kw = "LEFT JOIN"
	case pg_query.JoinType_JOIN_RIGHT:
		kw = "RIGHT JOIN"
	case pg_query.JoinType_JOIN_FULL:
		kw = "FULL JOIN"
	default:
		return "", nil, unsupported("join type is not supported")
	}
	if j.IsNatural {
		kw = "NATURAL " + kw
	}
	rels := append(append([]*rel{}, lrels...), rrels...)
	sql := lsql + " " + kw + " " + rsql
	inner := &scope{rels: append(append([]*rel{}, sc.rels...), rels...), parent: sc.parent}
	if j.Quals != nil {
		q, err := t.expr(j.Quals, inner)
		if err != nil {
			return "", nil, err
		}
		if q, err = t.coerce(q, tBool); err != nil {
			return "", nil, err
		}
		sql += " ON " + q.sql
	}
	var using []string
	if len(j.UsingClause) > 0 {
		using = nameList(j.UsingClause)
	}
	if j.IsNatural {
		for _, lr := range lrels {
			for _, lc := range lr.cols {
				for _, rr := range rrels {
					for _, rc := range rr.cols {
						if lc.name == rc.name {
							using = append(using, lc.name)
						}
					}
				}
			}
		}
	}
	if len(using) > 0 {
		if len(j.UsingClause) > 0 {
			var q []string
			for _, u := range using {
				q = append(q, quoteIdent(u))
			}
			sql += " USING (" + strings.Join(q, ", ") + ")"
		}
		// The USING columns of one side are merged into the other's: the
		// right side's for inner and left joins, the left side's for
		// right joins. FULL joins would need coalesce().
		hidden := rrels
		switch j.Jointype {
		case pg_query.JoinType_JOIN_RIGHT:
			hidden = lrels
		case pg_query.JoinType_JOIN_FULL:
			return "", nil, unsupported("FULL JOIN with USING or NATURAL is not supported")
		}
		for _, hr := range hidden {
			c := *hr
			c.merged = map[string]bool{}
			for _, u := range using {
				c.merged[u] = true
			}
			c.using = using
			for i, r := range rels {
				if r == hr {
					rels[i] = &c
				}
			}
		}
	}
	return sql, rels, nil
}

// partitionAncestors translates psql's
// pg_partition_ancestors(x) WITH ORDINALITY AS a(relid, depth) in FROM
// (its \d trigger query): there are no partitions, so the ancestors are x
// itself at depth 1, and the relation is one row whose columns are those
// expressions (x may refer to the enclosing query). ok is false for any
// other WITH ORDINALITY.
func (t *translator) partitionAncestors(rf *pg_query.RangeFunction, sc *scope) (string, []*rel, bool, error) {
	if len(rf.Functions) != 1 || rf.IsRowsfrom || rf.Alias == nil {
		return "", nil, false, nil
	}
	fc := rf.Functions[0].GetList().GetItems()[0].GetFuncCall()
	if fc == nil || len(fc.Args) != 1 {
		return "", nil, false, nil
	}
	if names := nameList(fc.Funcname); names[len(names)-1] != "pg_partition_ancestors" {
		return "", nil, false, nil
	}
	fn, _, ok := t.catalogFn("pg_partition_ancestors", 1)
	if !ok {
		return "", nil, false, nil
	}
	cn := nameList(rf.Alias.Colnames)
	if len(cn) != 2 {
		return "", nil, false, nil
	}
	arg, err := t.expr(fc.Args[0], &scope{parent: sc.parent})
	if err != nil {
		return "", nil, true, err
	}
	name := rf.Alias.Aliasname
	r := &rel{name: name, cols: []col{{name: cn[0], t: pgType{OIDRegclass, -1}}, {name: cn[1], t: tInt8}},
		colExpr: map[string]string{cn[0]: fn + "(" + arg.sql + ")", cn[1]: "1"}}
	return "(SELECT 1) AS " + quoteIdent(name), []*rel{r}, true, nil
}

func (t *translator) rangeFunction(rf *pg_query.RangeFunction, sc *scope) (string, []*rel, error) {
	if rf.Lateral {
		return "", nil, unsupported("LATERAL is not supported")
	}
	if rf.Ordinality {
		if sql, rels, ok, err := t.partitionAncestors(rf, sc); ok || err != nil {
			return sql, rels, err
		}
		return "", nil, unsupported("WITH ORDINALITY is not supported")
	}
	if len(rf.Functions) != 1 || rf.IsRowsfrom {
		return "", nil, unsupported("ROWS FROM is not supported")
	}
	items := rf.Functions[0].GetList().GetItems()
	fc := items[0].GetFuncCall()
	if fc == nil {
		return "", nil, unsupported("this FROM function is not supported")
	}
	names := nameList(fc.Funcname)
	fname := names[len(names)-1]
	if fname == "unnest" && len(fc.Args) == 1 {
		if fn, _, ok := t.catalogFn("pg_array_json", 1); ok {
			arr, err := t.expr(fc.Args[0], sc)
			if err != nil {
				return "", nil, err
			}
			relName, colName := "unnest", "unnest"
			if rf.Alias != nil {
				relName, colName = rf.Alias.Aliasname, rf.Alias.Aliasname
				if cn := nameList(rf.Alias.Colnames); len(cn) > 0 {
					colName = cn[0]
				}
			}
			r := &rel{name: relName, cols: []col{{name: colName, t: tText}},
				colExpr: map[string]string{colName: quoteIdent(relName) + ".\"value\""}}
			return "json_each(" + fn + "(" + arr.sql + ")) AS " + quoteIdent(relName), []*rel{r}, nil
		}
	}
	if fname != "generate_series" {
		return "", nil, unsupported("function %s in FROM is not supported", fname)
	}
	if len(fc.Args) < 2 || len(fc.Args) > 3 {
		return "", nil, t.errAt(fc.Location, pgerr.UndefinedFunction, "function generate_series with %d arguments does not exist", len(fc.Args))
	}
	outer := &scope{parent: sc.parent}
	var args []*expr
	typ := tUnknown
	for _, a := range fc.Args {
		e, err := t.expr(a, outer)
		if err != nil {
			return "", nil, err
		}
		if e.t.oid != 0 {
			if !isNumericType(e.t.oid) {
				return "", nil, unsupported("generate_series over %s is not supported", typname(e.t.oid))
			}
			if typ.oid == 0 {
				typ = pgType{e.t.oid, -1}
			} else {
				typ = promote(typ, e.t)
			}
		}
		args = append(args, e)
	}
	if typ.oid == 0 {
		typ = tInt4
	}
	if typ.oid == OIDInt2 {
		typ = tInt4
	}
	for i, e := range args {
		c, err := t.coerce(e, typ)
		if err != nil {
			return "", nil, err
		}
		args[i] = c
	}
	step := "1"
	cmp := "<="
	if len(args) == 3 {
		step = args[2].sql
		c := fc.Args[2].GetAConst()
		neg := false
		if c != nil && c.GetIval() != nil {
			if c.GetIval().Ival == 0 {
				return "", nil, pgerr.New(pgerr.InvalidParameterValue, "step size cannot equal zero")
			}
			neg = c.GetIval().Ival < 0
		} else if ae := fc.Args[2].GetAExpr(); ae != nil && ae.Lexpr == nil && strNode(ae.Name[0]) == "-" {
			neg = true
		} else if c == nil {
			return "", nil, unsupported("generate_series with a non-constant step is not supported")
		}
		if neg {
			cmp = ">="
		}
	}
	t.gsN++
	cte := quoteIdent("__gs" + strconv.Itoa(t.gsN))
	relName, colName := "generate_series", "generate_series"
	if rf.Alias != nil {
		relName, colName = rf.Alias.Aliasname, rf.Alias.Aliasname
		if cn := nameList(rf.Alias.Colnames); len(cn) > 0 {
			colName = cn[0]
		}
	}
	if len(rf.Coldeflist) > 0 {
		return "", nil, unsupported("column definition lists are not supported")
	}
	sql := "(WITH RECURSIVE " + cte + "(v) AS (SELECT " + args[0].sql + " WHERE " + args[0].sql + " " + cmp + " " + args[1].sql +
		" UNION ALL SELECT v + " + step + " FROM " + cte + " WHERE v + " + step + " " + cmp + " " + args[1].sql +
		") SELECT v AS " + quoteIdent(colName) + " FROM " + cte + ") AS " + quoteIdent(relName)
	r := &rel{name: relName, cols: []col{{name: colName, t: typ}}}
	return sql, []*rel{r}, nil
}

// inlineLateral handles a JOIN LATERAL (SELECT exprs) AS o(n…) whose
// subquery has no FROM (pgbench's partition query): o.n becomes the
// expression itself, evaluated in the scope of the left side.
func (t *translator) inlineLateral(j *pg_query.JoinExpr, left []*rel, sc *scope) (*rel, bool, error) {
	rs := j.Rarg.GetRangeSubselect()
	if rs == nil || !rs.Lateral || rs.Alias == nil || j.Jointype != pg_query.JoinType_JOIN_INNER || len(j.UsingClause) > 0 || j.IsNatural {
		return nil, false, nil
	}
	if j.Quals != nil {
		if c := j.Quals.GetAConst(); c == nil || c.GetBoolval() == nil || !c.GetBoolval().Boolval {
			return nil, false, nil
		}
	}
	sel := rs.Subquery.GetSelectStmt()
	if sel == nil || len(sel.FromClause) > 0 || sel.WhereClause != nil || len(sel.GroupClause) > 0 || sel.HavingClause != nil ||
		len(sel.ValuesLists) > 0 || sel.Op != pg_query.SetOperation_SETOP_NONE || len(sel.SortClause) > 0 || sel.LimitCount != nil ||
		sel.WithClause != nil || len(sel.DistinctClause) > 0 {
		return nil, false, nil
	}
	inner := &scope{rels: append(append([]*rel{}, sc.rels...), left...), parent: sc.parent}
	aliases := nameList(rs.Alias.Colnames)
	r := &rel{name: rs.Alias.Aliasname, colExpr: map[string]string{}}
	for i, tn := range sel.TargetList {
		rt := tn.GetResTarget()
		e, err := t.expr(rt.Val, inner)
		if err != nil {
			return nil, true, err
		}
		e = t.resolveUnknown(e)
		name := e.name
		if rt.Name != "" {
			name = rt.Name
		}
		if i < len(aliases) {
			name = aliases[i]
		}
		r.cols = append(r.cols, col{name: name, t: e.t})
		r.colExpr[name] = "(" + e.sql + ")"
	}
	return r, true, nil
}
