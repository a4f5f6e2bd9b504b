package pgsql

import (
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/replisql/replisql/pgwire/pgerr"
)

// targetColumns resolves an INSERT/COPY column list (ResTarget or String
// nodes) to column indexes of tb; all columns when the list is empty.
func (t *translator) targetColumns(tb *Table, list []*pg_query.Node) ([]int, error) {
	if len(list) == 0 {
		out := make([]int, len(tb.Columns))
		for i := range out {
			out[i] = i
		}
		return out, nil
	}
	seen := map[int]bool{}
	var out []int
	for _, n := range list {
		name := strNode(n)
		var loc int32 = -1
		if rt := n.GetResTarget(); rt != nil {
			if len(rt.Indirection) > 0 {
				return nil, unsupported("assignment to array elements or fields is not supported")
			}
			name, loc = rt.Name, rt.Location
		}
		idx := columnIndex(tb, name)
		if idx < 0 {
			return nil, t.errAt(loc, pgerr.UndefinedColumn, "column %q of relation %q does not exist", name, tb.Name)
		}
		if seen[idx] {
			return nil, t.errAt(loc, pgerr.DuplicateColumn, "column %q specified more than once", name)
		}
		seen[idx] = true
		out = append(out, idx)
	}
	return out, nil
}

func columnIndex(tb *Table, name string) int {
	for i := range tb.Columns {
		if tb.Columns[i].Name == name {
			return i
		}
	}
	return -1
}

// nowDefault reports whether a column's stored default depends on the
// session: the transaction timestamp (written as pg_now() by CREATE
// TABLE) or a random uuid (pg_gen_random_uuid()). INSERT fills such
// defaults in from session values, so that replay is deterministic.
func nowDefault(c *TableColumn) bool {
	d := strings.ToLower(c.Default)
	return strings.Contains(d, "pg_now()") || strings.Contains(d, "pg_gen_random_uuid()") || strings.Contains(d, "pg_nextval(")
}

// defaultSQL is the value of a session-dependent default; row
// distinguishes rows of one execution ("" when each call site runs once).
func (t *translator) defaultSQL(c *TableColumn, row string) (string, error) {
	if strings.Contains(strings.ToLower(c.Default), "pg_now()") {
		return t.extra(ValueTxnTimestamp)
	}
	if seq, ok := ownedSequence(c); ok {
		saved := t.randomOK
		t.randomOK = row == ""
		defer func() { t.randomOK = saved }()
		return t.nextvalSQL(seq)
	}
	return t.randomSQL("pg_uuid", row)
}

// randomSQL calls pg_uuid or pg_random with the statement's random seed
// and a call-site number: a pure function of bound values, so replay
// gives the same values.
func (t *translator) randomSQL(fn, row string) (string, error) {
	seed, err := t.extra(ValueRandomSeed)
	if err != nil {
		return "", err
	}
	k := strconv.Itoa(t.randN)
	t.randN++
	if row != "" {
		return fn + "(" + seed + ", " + k + ", " + row + ")", nil
	}
	return fn + "(" + seed + ", " + k + ")", nil
}

func (t *translator) insertStmt(s *pg_query.InsertStmt) (*Plan, error) {
	var with string
	if s.WithClause != nil {
		w, err := t.withClause(s.WithClause, nil)
		if err != nil {
			return nil, err
		}
		defer func() { t.ctes = t.ctes[:len(t.ctes)-1] }()
		with = w
	}
	tb, err := t.table(s.Relation)
	if err != nil {
		return nil, err
	}
	cols, err := t.targetColumns(tb, s.Cols)
	if err != nil {
		return nil, err
	}
	target := tableRel(tb)
	target.sqlQual = "-"
	if s.Relation.Alias != nil {
		target.name = s.Relation.Alias.Aliasname
	}
	// Columns whose default is now(), not listed: filled in explicitly.
	listed := map[int]bool{}
	if s.SelectStmt != nil {
		for _, c := range cols {
			listed[c] = true
		}
	}
	var nowCols []int
	for i := range tb.Columns {
		if !listed[i] && nowDefault(&tb.Columns[i]) {
			nowCols = append(nowCols, i)
		}
	}
	var body string
	var outCols []int
	sel := s.SelectStmt.GetSelectStmt()
	switch {
	case sel == nil:
		// DEFAULT VALUES
		outCols = nowCols
		if len(outCols) == 0 {
			body = " DEFAULT VALUES"
		} else {
			var vs []string
			for _, ci := range outCols {
				v, err := t.defaultSQL(&tb.Columns[ci], "")
				if err != nil {
					return nil, err
				}
				vs = append(vs, v)
			}
			body = " VALUES (" + strings.Join(vs, ", ") + ")"
		}
	case len(sel.ValuesLists) > 0 && sel.WithClause == nil && len(sel.SortClause) == 0 && sel.LimitCount == nil && sel.LimitOffset == nil:
		if n := len(sel.ValuesLists[0].GetList().GetItems()); len(s.Cols) == 0 && n < len(cols) {
			// Without a column list, VALUES may fill the first columns only.
			cols = cols[:n]
			nowCols = nil
			for i := n; i < len(tb.Columns); i++ {
				if nowDefault(&tb.Columns[i]) {
					nowCols = append(nowCols, i)
				}
			}
		}
		outCols, body, err = t.insertValues(tb, cols, nowCols, sel)
		if err != nil {
			return nil, err
		}
	default:
		names := make([]string, len(cols))
		for i := range names {
			names[i] = "__c" + strconv.Itoa(i+1)
		}
		wrap := false
		q, err := t.selectStmt(sel, nil, names)
		if err != nil {
			return nil, err
		}
		if len(s.Cols) == 0 && len(q.cols) < len(cols) {
			cols = cols[:len(q.cols)]
			nowCols = nil
			for i := len(q.cols); i < len(tb.Columns); i++ {
				if nowDefault(&tb.Columns[i]) {
					nowCols = append(nowCols, i)
				}
			}
			wrap = len(nowCols) > 0
		}
		if len(q.cols) > len(cols) {
			return nil, pgerr.New(pgerr.SyntaxError, "INSERT has more expressions than target columns")
		}
		if len(q.cols) < len(cols) {
			return nil, pgerr.New(pgerr.SyntaxError, "INSERT has more target columns than expressions")
		}
		wrap = wrap || s.OnConflictClause != nil || len(nowCols) > 0
		var sels []string
		for i, c := range q.cols {
			ct := colType(&tb.Columns[cols[i]])
			if c.param > 0 {
				t.setParam(c.param, ct)
			}
			ref := &expr{sql: quoteIdent(names[i]), t: c.t}
			if c.unknownOrigin {
				ref.t = tText
			}
			a, err := t.assignE(ref, ct)
			if err != nil {
				return nil, err
			}
			sql := rowidCheck(tb, &tb.Columns[cols[i]], a.sql)
			if sql != ref.sql {
				wrap = true
			}
			sels = append(sels, sql)
		}
		for _, ci := range nowCols {
			v, err := t.defaultSQL(&tb.Columns[ci], "row_number() OVER ()")
			if err != nil {
				return nil, err
			}
			sels = append(sels, v)
		}
		outCols = append(append([]int{}, cols...), nowCols...)
		if wrap {
			body = " SELECT " + strings.Join(sels, ", ") + " FROM (" + q.sql + ") WHERE true"
		} else {
			body = " " + q.sql
		}
	}
	var b strings.Builder
	b.WriteString(with)
	b.WriteString("INSERT INTO " + quoteIdent(tb.Name))
	if s.Relation.Alias != nil {
		b.WriteString(" AS " + quoteIdent(s.Relation.Alias.Aliasname))
	}
	if len(outCols) > 0 {
		var names []string
		for _, c := range outCols {
			names = append(names, quoteIdent(tb.Columns[c].Name))
		}
		b.WriteString(" (" + strings.Join(names, ", ") + ")")
	}
	b.WriteString(body)
	if s.OnConflictClause != nil {
		oc, err := t.onConflict(s.OnConflictClause, tb, target)
		if err != nil {
			return nil, err
		}
		b.WriteString(oc)
	}
	retSQL, retCols, err := t.returning(s.ReturningList, &scope{rels: []*rel{target}})
	if err != nil {
		return nil, err
	}
	b.WriteString(retSQL)
	return t.finish([]string{b.String()}, retCols)
}

func (t *translator) insertValues(tb *Table, cols, nowCols []int, sel *pg_query.SelectStmt) ([]int, string, error) {
	rows := sel.ValuesLists
	ncol := len(cols)
	// A column given DEFAULT in every row is left out; one given DEFAULT
	// in some rows only is supported for now() defaults.
	defaults := make([]int, ncol)
	for _, r := range rows {
		items := r.GetList().GetItems()
		if len(items) > ncol {
			return nil, "", pgerr.New(pgerr.SyntaxError, "INSERT has more expressions than target columns")
		}
		if len(items) < ncol {
			return nil, "", pgerr.New(pgerr.SyntaxError, "INSERT has more target columns than expressions")
		}
		for i, it := range items {
			if it.GetSetToDefault() != nil {
				defaults[i]++
			}
		}
	}
	var keep []int // positions in cols kept
	for i := range cols {
		c := &tb.Columns[cols[i]]
		if defaults[i] == len(rows) && !nowDefault(c) {
			continue
		}
		if defaults[i] > 0 && !nowDefault(c) {
			if c.Default == "" {
				keep = append(keep, i)
				continue
			}
			return nil, "", unsupported("DEFAULT in some rows of a multi-row VALUES is not supported for column %q", c.Name)
		}
		keep = append(keep, i)
	}
	empty := &scope{}
	var b strings.Builder
	b.WriteString(" VALUES ")
	for ri, r := range rows {
		if ri > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(")
		items := r.GetList().GetItems()
		first := true
		for _, i := range keep {
			if !first {
				b.WriteString(", ")
			}
			first = false
			c := &tb.Columns[cols[i]]
			if items[i].GetSetToDefault() != nil {
				if nowDefault(c) {
					v, err := t.defaultSQL(c, "")
					if err != nil {
						return nil, "", err
					}
					b.WriteString(v)
				} else {
					b.WriteString("NULL")
				}
				continue
			}
			t.randomRow = ""
			t.randomOK = true
			e, err := t.expr(items[i], empty)
			t.randomOK = false
			if err != nil {
				return nil, "", err
			}
			a, err := t.assignE(e, colType(c))
			if err != nil {
				return nil, "", err
			}
			b.WriteString(rowidCheck(tb, c, a.sql))
		}
		for _, ci := range nowCols {
			if !first {
				b.WriteString(", ")
			}
			first = false
			v, err := t.defaultSQL(&tb.Columns[ci], "")
			if err != nil {
				return nil, "", err
			}
			b.WriteString(v)
		}
		b.WriteString(")")
	}
	var out []int
	for _, i := range keep {
		out = append(out, cols[i])
	}
	out = append(out, nowCols...)
	if len(out) == 0 {
		return nil, " DEFAULT VALUES", nil
	}
	return out, b.String(), nil
}

func (t *translator) onConflict(oc *pg_query.OnConflictClause, tb *Table, target *rel) (string, error) {
	var b strings.Builder
	b.WriteString(" ON CONFLICT")
	if oc.Infer != nil {
		var cs []string
		if oc.Infer.Conname != "" {
			// Only the primary key's constraint name is known here.
			if oc.Infer.Conname != tb.Name+"_pkey" {
				return "", unsupported("ON CONFLICT ON CONSTRAINT %q is not supported (only the primary key's)", oc.Infer.Conname)
			}
			for _, c := range tb.Columns {
				if c.PrimaryKey {
					cs = append(cs, quoteIdent(c.Name))
				}
			}
			if len(cs) == 0 {
				return "", pgerr.New(pgerr.UndefinedObject, "constraint %q for table %q does not exist", oc.Infer.Conname, tb.Name)
			}
		}
		for _, ie := range oc.Infer.IndexElems {
			el := ie.GetIndexElem()
			if el == nil || el.Name == "" {
				return "", unsupported("ON CONFLICT on expressions is not supported")
			}
			if columnIndex(tb, el.Name) < 0 {
				return "", pgerr.New(pgerr.UndefinedColumn, "column %q does not exist", el.Name)
			}
			cs = append(cs, quoteIdent(el.Name))
		}
		b.WriteString(" (" + strings.Join(cs, ", ") + ")")
		if oc.Infer.WhereClause != nil {
			w, err := t.expr(oc.Infer.WhereClause, &scope{rels: []*rel{target}})
			if err != nil {
				return "", err
			}
			b.WriteString(" WHERE " + w.sql)
		}
	}
	if oc.Action == pg_query.OnConflictAction_ONCONFLICT_NOTHING {
		b.WriteString(" DO NOTHING")
		return b.String(), nil
	}
	if oc.Infer == nil {
		return "", pgerr.New(pgerr.SyntaxError, "ON CONFLICT DO UPDATE requires inference specification or constraint name")
	}
	excluded := tableRel(tb)
	excluded.name, excluded.sqlQual = "excluded", "excluded"
	tgt := *target
	tgt.sqlQual = ""
	if tgt.name == tb.Name {
		tgt.sqlQual = quoteIdent(tb.Name)
	}
	sc := &scope{rels: []*rel{&tgt, excluded}}
	set, err := t.setList(oc.TargetList, tb, sc)
	if err != nil {
		return "", err
	}
	b.WriteString(" DO UPDATE SET " + set)
	if oc.WhereClause != nil {
		w, err := t.expr(oc.WhereClause, sc)
		if err != nil {
			return "", err
		}
		if w, err = t.coerce(w, tBool); err != nil {
			return "", err
		}
		b.WriteString(" WHERE " + w.sql)
	}
	return b.String(), nil
}

// setList renders UPDATE's SET assignments.
func (t *translator) setList(list []*pg_query.Node, tb *Table, sc *scope) (string, error) {
	var parts []string
	seen := map[int]bool{}
	for _, n := range list {
		rt := n.GetResTarget()
		if rt == nil {
			return "", unsupported("SET item is not supported")
		}
		if ma := rt.Val.GetMultiAssignRef(); ma != nil {
			// SET (a, b) = (x, y): one assignment per column.
			row := ma.Source.GetRowExpr()
			if row == nil || int(ma.Colno) > len(row.Args) || int(ma.Ncolumns) != len(row.Args) {
				return "", unsupported("SET (a, b) = (SELECT …) is not supported")
			}
			rt = &pg_query.ResTarget{Name: rt.Name, Val: row.Args[ma.Colno-1], Location: rt.Location}
		}
		if len(rt.Indirection) > 0 {
			return "", unsupported("assignment to array elements or fields is not supported")
		}
		idx := columnIndex(tb, rt.Name)
		if idx < 0 {
			return "", t.errAt(rt.Location, pgerr.UndefinedColumn, "column %q of relation %q does not exist", rt.Name, tb.Name)
		}
		if seen[idx] {
			return "", t.errAt(rt.Location, pgerr.SyntaxError, "multiple assignments to same column %q", rt.Name)
		}
		seen[idx] = true
		c := &tb.Columns[idx]
		var val string
		if rt.Val.GetSetToDefault() != nil {
			switch {
			case nowDefault(c):
				s, err := t.defaultSQL(c, "rowid")
				if err != nil {
					return "", err
				}
				val = s
			case c.Default != "":
				val = "(" + c.Default + ")"
			default:
				val = "NULL"
			}
		} else {
			t.randomOK, t.randomRow = true, "rowid"
			e, err := t.expr(rt.Val, sc)
			t.randomOK, t.randomRow = false, ""
			if err != nil {
				return "", err
			}
			if e.agg {
				return "", pgerr.New(pgerr.GroupingError, "aggregate functions are not allowed in UPDATE")
			}
			a, err := t.assignE(e, colType(c))
			if err != nil {
				return "", err
			}
			val = a.sql
		}
		parts = append(parts, quoteIdent(c.Name)+" = "+val)
	}
	return strings.Join(parts, ", "), nil
}

// returning renders a RETURNING clause and its result columns.
func (t *translator) returning(list []*pg_query.Node, sc *scope) (string, []Column, error) {
	if len(list) == 0 {
		return "", nil, nil
	}
	var cols []*expr
	for _, n := range list {
		rt := n.GetResTarget()
		if cr := rt.Val.GetColumnRef(); cr != nil && cr.Fields[len(cr.Fields)-1].GetAStar() != nil {
			exp, err := t.expandStar(cr, sc)
			if err != nil {
				return "", nil, err
			}
			cols = append(cols, exp...)
			continue
		}
		e, err := t.expr(rt.Val, sc)
		if err != nil {
			return "", nil, err
		}
		if e.agg {
			return "", nil, pgerr.New(pgerr.GroupingError, "aggregate functions are not allowed in RETURNING")
		}
		e = t.resolveUnknown(e)
		if rt.Name != "" {
			e.name = rt.Name
		}
		if e.name == "" {
			e.name = "?column?"
		}
		cols = append(cols, e)
	}
	var parts []string
	for _, e := range cols {
		parts = append(parts, e.sql+" AS "+quoteIdent(e.name))
	}
	q := &query{cols: cols}
	return " RETURNING " + strings.Join(parts, ", "), q.columns(), nil
}

func (t *translator) updateStmt(s *pg_query.UpdateStmt) (*Plan, error) {
	var with string
	if s.WithClause != nil {
		w, err := t.withClause(s.WithClause, nil)
		if err != nil {
			return nil, err
		}
		defer func() { t.ctes = t.ctes[:len(t.ctes)-1] }()
		with = w
	}
	tb, err := t.table(s.Relation)
	if err != nil {
		return nil, err
	}
	target := tableRel(tb)
	var b strings.Builder
	b.WriteString(with + "UPDATE " + quoteIdent(tb.Name))
	if s.Relation.Alias != nil {
		target.name = s.Relation.Alias.Aliasname
		b.WriteString(" AS " + quoteIdent(target.name))
	}
	sc := &scope{rels: []*rel{target}}
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
	}
	set, err := t.setList(s.TargetList, tb, sc)
	if err != nil {
		return nil, err
	}
	b.WriteString(" SET " + set + from)
	if s.WhereClause != nil {
		if s.WhereClause.GetCurrentOfExpr() != nil {
			return nil, unsupported("WHERE CURRENT OF is not supported")
		}
		w, err := t.expr(s.WhereClause, sc)
		if err != nil {
			return nil, err
		}
		if w, err = t.condition(w, "WHERE"); err != nil {
			return nil, err
		}
		b.WriteString(" WHERE " + w.sql)
	}
	ret := *target
	ret.sqlQual = "-"
	retSQL, retCols, err := t.returning(s.ReturningList, &scope{rels: []*rel{&ret}})
	if err != nil {
		return nil, err
	}
	b.WriteString(retSQL)
	return t.finish([]string{b.String()}, retCols)
}

func (t *translator) deleteStmt(s *pg_query.DeleteStmt) (*Plan, error) {
	var with string
	if s.WithClause != nil {
		w, err := t.withClause(s.WithClause, nil)
		if err != nil {
			return nil, err
		}
		defer func() { t.ctes = t.ctes[:len(t.ctes)-1] }()
		with = w
	}
	tb, err := t.table(s.Relation)
	if err != nil {
		return nil, err
	}
	target := tableRel(tb)
	var b strings.Builder
	b.WriteString(with + "DELETE FROM " + quoteIdent(tb.Name))
	if s.Relation.Alias != nil {
		target.name = s.Relation.Alias.Aliasname
		b.WriteString(" AS " + quoteIdent(target.name))
	}
	sc := &scope{rels: []*rel{target}}
	if len(s.UsingClause) > 0 {
		// DELETE FROM t USING u WHERE c: SQLite has no USING; delete
		// the target rows that the join finds, by rowid.
		inner := tableRel(tb)
		inner.name = "__del"
		if s.Relation.Alias != nil {
			inner.name = s.Relation.Alias.Aliasname
		}
		isc := &scope{rels: []*rel{inner}}
		var items []string
		for _, f := range s.UsingClause {
			sql, rels, err := t.fromItem(f, isc)
			if err != nil {
				return nil, err
			}
			isc.rels = append(isc.rels, rels...)
			items = append(items, sql)
		}
		sub := "SELECT " + quoteIdent(inner.name) + ".rowid FROM " + quoteIdent(tb.Name) + " AS " + quoteIdent(inner.name) + ", " + strings.Join(items, ", ")
		if s.WhereClause != nil {
			w, err := t.expr(s.WhereClause, isc)
			if err != nil {
				return nil, err
			}
			if w, err = t.coerce(w, tBool); err != nil {
				return nil, err
			}
			sub += " WHERE " + w.sql
		}
		b.Reset()
		b.WriteString(with + "DELETE FROM " + quoteIdent(tb.Name) + " WHERE rowid IN (" + sub + ")")
		target.name = tb.Name
	} else if s.WhereClause != nil {
		if s.WhereClause.GetCurrentOfExpr() != nil {
			return nil, unsupported("WHERE CURRENT OF is not supported")
		}
		w, err := t.expr(s.WhereClause, sc)
		if err != nil {
			return nil, err
		}
		if w, err = t.condition(w, "WHERE"); err != nil {
			return nil, err
		}
		b.WriteString(" WHERE " + w.sql)
	}
	ret := *target
	ret.sqlQual = "-"
	retSQL, retCols, err := t.returning(s.ReturningList, &scope{rels: []*rel{&ret}})
	if err != nil {
		return nil, err
	}
	b.WriteString(retSQL)
	return t.finish([]string{b.String()}, retCols)
}

// rowidCheck guards a value stored into an integer primary key: SQLite
// makes such a key the rowid and silently assigns one for NULL, where
// PostgreSQL raises 23502.
func rowidCheck(tb *Table, c *TableColumn, sql string) string {
	if !c.PrimaryKey || !isIntType(colType(c).oid) || sql == "NULL" {
		if c.PrimaryKey && sql == "NULL" {
			return "pg_notnull(NULL, " + quoteString(c.Name) + ", " + quoteString(tb.Name) + ")"
		}
		return sql
	}
	n := 0
	for i := range tb.Columns {
		if tb.Columns[i].PrimaryKey {
			n++
		}
	}
	if n != 1 {
		return sql
	}
	if _, err := strconv.ParseInt(sql, 10, 64); err == nil {
		return sql
	}
	return "pg_notnull(" + sql + ", " + quoteString(c.Name) + ", " + quoteString(tb.Name) + ")"
}
