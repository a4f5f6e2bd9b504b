package pgsql

import (
	"database/sql/driver"
	"encoding/json"
	"strings"
	"sync"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"modernc.org/sqlite"

	"github.com/replisql/replisql/pgwire/pgerr"
)

// Settings: current_setting() and set_config().
//
// current_setting(name [, missing_ok]) is an expression like any other:
// the plan binds ValueSettings, the session's settings as a JSON object
// of the values SHOW prints, and pg_current_setting looks the name up in
// it. Binding the values keeps statements deterministic on replay.
//
// set_config(name, value, is_local) changes the session, which SQLite
// cannot do: a top-level SELECT whose select list is only set_config
// calls with constant arguments, with no FROM or other clause (what
// pg_dump and clients send), is a SET statement the session carries out
// (SetStmt.Config). Every other use fails with 0A000.

// classifySetConfig makes st a set_config statement when its parse tree
// is SELECT set_config(…)[, set_config(…)…] with constant arguments.
func classifySetConfig(st *Statement, n *pg_query.Node) error {
	sel := n.GetSelectStmt()
	if sel == nil || len(sel.TargetList) == 0 || len(sel.FromClause) > 0 || sel.WhereClause != nil ||
		len(sel.GroupClause) > 0 || sel.HavingClause != nil || len(sel.WindowClause) > 0 ||
		len(sel.SortClause) > 0 || sel.LimitCount != nil || sel.LimitOffset != nil ||
		len(sel.DistinctClause) > 0 || sel.WithClause != nil || len(sel.ValuesLists) > 0 ||
		sel.IntoClause != nil || len(sel.LockingClause) > 0 || sel.Op != pg_query.SetOperation_SETOP_NONE {
		return nil
	}
	var calls []SetConfigCall
	for _, tn := range sel.TargetList {
		rt := tn.GetResTarget()
		f := rt.GetVal().GetFuncCall()
		if f == nil || !isSetConfig(f) || len(f.Args) != 3 || f.AggStar || f.AggDistinct ||
			f.AggFilter != nil || f.Over != nil || len(f.AggOrder) > 0 || f.FuncVariadic {
			return nil
		}
		var args [3]*string
		for i, a := range f.Args {
			v, ok := constArg(a)
			if !ok {
				return nil
			}
			args[i] = v
		}
		if args[0] == nil {
			return pgerr.New(pgerr.NullValueNotAllowed, "SET requires parameter name")
		}
		c := SetConfigCall{Column: "set_config", Name: *args[0], Value: args[1]}
		if rt.Name != "" {
			c.Column = rt.Name
		}
		if args[2] != nil {
			b, ok := parseBool(*args[2])
			if !ok {
				return pgerr.New(pgerr.InvalidTextRepresentation, "invalid input syntax for type boolean: \"%s\"", *args[2])
			}
			c.Local = b
		}
		calls = append(calls, c)
	}
	st.Kind, st.ReadOnly, st.Set = KindSet, true, &SetStmt{Config: calls}
	return nil
}

func isSetConfig(f *pg_query.FuncCall) bool {
	names := nameList(f.Funcname)
	return len(names) == 1 && names[0] == "set_config" ||
		len(names) == 2 && names[0] == "pg_catalog" && names[1] == "set_config"
}

// constArg is the text of a constant argument (a literal, maybe cast),
// nil for NULL; ok is false for anything else.
func constArg(n *pg_query.Node) (v *string, ok bool) {
	if tc := n.GetTypeCast(); tc != nil {
		return constArg(tc.Arg)
	}
	c := n.GetAConst()
	if c == nil {
		return nil, false
	}
	if c.Isnull {
		return nil, true
	}
	s := constString(n)
	if _, isBool := c.Val.(*pg_query.A_Const_Boolval); isBool {
		// true/false keywords: constString spells them on/off.
		s = map[string]string{"on": "true", "off": "false"}[s]
	}
	return &s, true
}

// ServerSetting, when set, answers current_setting() for the server
// settings the session does not hold (shared_buffers, fsync, ...): the
// layer that knows them (the catalog's PostgreSQL 15 defaults) is wired
// in by the session package.
var ServerSetting func(name string) (string, bool)

// settingsFuncs are the SQLite functions of current_setting().
var settingsFuncs = map[string]sqliteFunc{
	// pg_current_setting(settings, name, missing_ok): settings is the
	// bound ValueSettings.
	"pg_current_setting": {3, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
		name, ok := argText(a[1])
		if !ok || a[2] == nil {
			return nil, nil
		}
		js, _ := argText(a[0])
		m, err := parsedSettings.get(js)
		if err != nil {
			return nil, err
		}
		if v, ok := m[strings.ToLower(name)]; ok {
			return v, nil
		}
		if ServerSetting != nil {
			if v, ok := ServerSetting(strings.ToLower(name)); ok {
				return v, nil
			}
		}
		if argInt(a[2]) != 0 {
			return nil, nil
		}
		return nil, pgerr.New(pgerr.UndefinedObject, "unrecognized configuration parameter \"%s\"", name)
	}},
}

// parsedSettings keeps the last settings object decoded: a statement
// calls current_setting once per row with the same bound value.
var parsedSettings settingsCache

type settingsCache struct {
	mu   sync.Mutex // guards the fields below
	text string
	m    map[string]string
}

func (c *settingsCache) get(text string) (map[string]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m != nil && c.text == text {
		return c.m, nil
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(text), &m); err != nil {
		return nil, pgerr.New(pgerr.InternalError, "current_setting: bad settings value: %v", err)
	}
	c.text, c.m = text, m
	return m, nil
}

// currentSetting translates current_setting(name [, missing_ok]).
func (t *translator) currentSetting(f *pg_query.FuncCall, sc *scope) (*expr, error) {
	if len(f.Args) < 1 || len(f.Args) > 2 {
		return nil, t.errAt(f.Location, pgerr.UndefinedFunction, "function current_setting with %d arguments does not exist", len(f.Args))
	}
	name, err := t.expr(f.Args[0], sc)
	if err != nil {
		return nil, err
	}
	if name, err = t.coerce(name, tText); err != nil {
		return nil, err
	}
	missingOK := &expr{sql: "0", t: tBool}
	if len(f.Args) == 2 {
		if missingOK, err = t.expr(f.Args[1], sc); err != nil {
			return nil, err
		}
		if missingOK, err = t.coerce(missingOK, tBool); err != nil {
			return nil, err
		}
	}
	settings, err := t.extra(ValueSettings)
	if err != nil {
		return nil, err
	}
	return &expr{sql: "pg_current_setting(" + settings + ", " + name.sql + ", " + missingOK.sql + ")",
		t: tText, name: "current_setting", strength: 2, agg: name.agg || missingOK.agg}, nil
}
