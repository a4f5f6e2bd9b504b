package session

import (
	"context"
	"encoding/json"
	"sort"
	"strings"

	"github.com/replisql/replisql/pgsql"
	"github.com/replisql/replisql/pgsql/catalog"
	"github.com/replisql/replisql/pgwire"
	"github.com/replisql/replisql/pgwire/pgerr"
)

// runCommand carries out a statement the session handles itself:
// transaction control, SET/SHOW, COPY, cursors.
func (s *Session) runCommand(ctx context.Context, st *pgsql.Statement, w pgwire.ResultWriter) error {
	switch st.Kind {
	case pgsql.KindEmpty:
		return w.EmptyQuery()
	case pgsql.KindTxn:
		return s.runTxn(ctx, st, w)
	case pgsql.KindSet:
		if err := s.runSet(st.Set); err != nil {
			return err
		}
		if st.Set.Config != nil {
			return s.setConfigResult(st, w)
		}
		return w.Complete(st.Tag)
	case pgsql.KindShow:
		return s.runShow(st.Show, w)
	case pgsql.KindCopy:
		ctx, cancel := s.statementContext(ctx)
		defer cancel()
		return s.statementError(ctx, s.runCopy(ctx, st.Copy, w))
	case pgsql.KindCursor:
		return s.runCursor(ctx, st.Cursor, w)
	case pgsql.KindPrepare:
		if strings.HasPrefix(st.Tag, "DEALLOCATE") {
			// DEALLOCATE acts on the statements of Parse messages, which
			// pgwire keeps (SQL-level PREPARE is not supported).
			if ps, ok := w.(pgwire.PreparedStatements); ok {
				if st.Prepared == "" {
					ps.DeallocateAllPrepared()
				} else if !ps.DeallocatePrepared(st.Prepared) {
					return pgerr.New(pgerr.InvalidSQLStatementName, "prepared statement \"%s\" does not exist", st.Prepared)
				}
			}
			return w.Complete(st.Tag)
		}
		return pgerr.New(pgerr.FeatureNotSupported, "%s is not supported; use the extended query protocol", st.Tag)
	}
	if st.Tag == "DISCARD ALL" {
		return s.discardAll(w)
	}
	return pgerr.New(pgerr.FeatureNotSupported, "%s is not supported", st.Tag)
}

// discardAll resets the session as DISCARD ALL does: settings, cursors,
// and (through the command tag, in pgwire) the prepared statements.
func (s *Session) discardAll(w pgwire.ResultWriter) error {
	if s.tx.block {
		return pgerr.New(pgerr.ActiveSQLTransaction, "DISCARD ALL cannot run inside a transaction block")
	}
	for name, c := range s.cursors {
		c.close()
		delete(s.cursors, name)
	}
	if err := s.runSet(&pgsql.SetStmt{ResetAll: true, Reset: true}); err != nil {
		return err
	}
	return w.Complete("DISCARD ALL")
}

func (s *Session) runTxn(ctx context.Context, st *pgsql.Statement, w pgwire.ResultWriter) error {
	t := st.Txn
	switch t.Op {
	case pgsql.TxnBegin:
		return s.begin(ctx, t, st.Tag, w)
	case pgsql.TxnCommit:
		if t.Chain {
			return pgerr.New(pgerr.FeatureNotSupported, "COMMIT AND CHAIN is not supported")
		}
		return s.commit(ctx, w)
	case pgsql.TxnRollback:
		return s.rollback(ctx, w)
	case pgsql.TxnSavepoint, pgsql.TxnRelease, pgsql.TxnRollbackTo:
		return s.savepoint(ctx, t, w)
	}
	return pgerr.New(pgerr.FeatureNotSupported, "two-phase commit is not supported")
}

func (s *Session) runSet(set *pgsql.SetStmt) error {
	if set.System {
		return s.alterSystem(set)
	}
	s.noteSet(set)
	switch {
	case set.ResetAll:
		dflt := s.eng.defaults()
		for name, d := range paramDefs {
			if !d.readOnly && name != "transaction_isolation" && name != "transaction_read_only" {
				s.params.reset(name, dflt)
			}
		}
		return nil
	case set.Config != nil:
		for _, c := range set.Config {
			if err := s.setConfig(c); err != nil {
				return err
			}
		}
		return nil
	case set.Name == "" || set.Name == "transaction" || set.Name == "session characteristics":
		return s.setTransaction(set)
	case set.Name == "transaction_isolation" || set.Name == "transaction_read_only":
		return s.setTransaction(transactionSet(set))
	case set.Reset:
		return s.params.reset(set.Name, s.eng.defaults())
	}
	return s.params.set(set.Name, set.Value, set.Local, s.tx.block)
}

// setConfig carries out set_config(name, value, is_local) as SET [LOCAL]
// does, except that a local value set outside a transaction block lasts
// until the implicit transaction ends, as in PostgreSQL. A NULL value
// restores the default.
func (s *Session) setConfig(c pgsql.SetConfigCall) error {
	set := &pgsql.SetStmt{Name: strings.ToLower(c.Name), Local: c.Local, Reset: c.Value == nil}
	if c.Value != nil {
		set.Value = *c.Value
	}
	switch {
	case set.Name == "transaction_isolation" || set.Name == "transaction_read_only" || set.Reset || !c.Local || s.tx.block:
		return s.runSet(set)
	}
	return s.params.set(set.Name, set.Value, true, true)
}

// setConfigResult answers SELECT set_config(…): one row of the settings'
// new values as SHOW prints them.
func (s *Session) setConfigResult(st *pgsql.Statement, w pgwire.ResultWriter) error {
	if err := w.Describe(commandColumns(st)); err != nil {
		return err
	}
	row := make([]any, len(st.Set.Config))
	for i, c := range st.Set.Config {
		if v, ok := s.showValue(c.Name); ok {
			row[i] = v
		}
	}
	if err := w.Row(row); err != nil {
		return err
	}
	return w.Complete("SELECT 1")
}

// settingsJSON is the value of pgsql.ValueSettings: every setting as SHOW
// prints it, in a JSON object keyed by lower-case name.
func (s *Session) settingsJSON() string {
	m := make(map[string]string, len(s.params.values)+1)
	for k := range s.params.values {
		if v, ok := s.showValue(k); ok {
			m[k] = v
		}
	}
	m["replisql.served_by"], _ = s.showValue("replisql.served_by")
	b, err := json.Marshal(m)
	if err != nil {
		return "{}"
	}
	return string(b)
}

// transactionSet turns SET transaction_isolation = x into SET TRANSACTION.
func transactionSet(set *pgsql.SetStmt) *pgsql.SetStmt {
	out := &pgsql.SetStmt{Name: "transaction"}
	if set.Name == "transaction_isolation" {
		out.Isolation = set.Value
	} else {
		v, err := normBool(set.Value)
		ro := err == nil && v == "on"
		out.ReadOnly = &ro
	}
	return out
}

// setTransaction is SET TRANSACTION … (this transaction) and SET SESSION
// CHARACTERISTICS AS TRANSACTION … (the defaults).
func (s *Session) setTransaction(set *pgsql.SetStmt) error {
	if set.Name == "session characteristics" {
		if set.Isolation != "" {
			if err := s.params.set("default_transaction_isolation", set.Isolation, false, false); err != nil {
				return err
			}
		}
		if set.ReadOnly != nil {
			return s.params.set("default_transaction_read_only", onOff(*set.ReadOnly), false, false)
		}
		return nil
	}
	if !s.tx.block {
		// PostgreSQL warns and does nothing outside a block.
		return nil
	}
	if set.Isolation != "" {
		iso, err := normIsolation(set.Isolation)
		if err != nil {
			return pgerr.New(pgerr.InvalidParameterValue, "invalid value for parameter \"transaction_isolation\": \"%s\"", set.Isolation)
		}
		if s.tx.conn != nil && iso != s.tx.isolation {
			return pgerr.New(pgerr.ActiveSQLTransaction, "SET TRANSACTION ISOLATION LEVEL must be called before any query")
		}
		s.tx.isolation = iso
		s.params.values["transaction_isolation"] = iso
	}
	if set.ReadOnly != nil {
		if !*set.ReadOnly && s.inRecovery() && !s.routed() {
			return pgerr.New(pgerr.ReadOnlySQLTransaction, "cannot set transaction read-write mode during recovery")
		}
		if !*set.ReadOnly && s.tx.readOnly && s.tx.conn != nil {
			return pgerr.New(pgerr.ActiveSQLTransaction, "transaction read-write mode must be set before any query")
		}
		if *set.ReadOnly && s.tx.conn != nil && s.tx.conn.IsWriter() {
			// PostgreSQL allows switching to read-only mid-transaction.
		}
		s.tx.readOnly = *set.ReadOnly
		s.params.values["transaction_read_only"] = onOff(s.tx.readOnly)
	}
	return nil
}

func (s *Session) runShow(show *pgsql.ShowStmt, w pgwire.ResultWriter) error {
	text := uint32(25)
	if show.Name == "all" {
		if err := w.Describe([]pgwire.Column{
			{Name: "name", TypeOID: text, TypeSize: -1, TypeModifier: -1},
			{Name: "setting", TypeOID: text, TypeSize: -1, TypeModifier: -1},
			{Name: "description", TypeOID: text, TypeSize: -1, TypeModifier: -1},
		}); err != nil {
			return err
		}
		names := make([]string, 0, len(paramDefs))
		for k := range paramDefs {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			d := paramDefs[k]
			v, _ := s.showValue(k)
			if err := w.Row([]any{d.name, v, d.desc}); err != nil {
				return err
			}
		}
		return w.Complete("SHOW")
	}
	v, ok := s.showValue(show.Name)
	if !ok {
		return pgerr.New(pgerr.UndefinedObject, "unrecognized configuration parameter \"%s\"", show.Name)
	}
	if err := w.Describe(commandColumns(&pgsql.Statement{Kind: pgsql.KindShow, Show: show})); err != nil {
		return err
	}
	if err := w.Row([]any{v}); err != nil {
		return err
	}
	return w.Complete("SHOW")
}

// showValue is a parameter's value as SHOW prints it.
func (s *Session) showValue(name string) (string, bool) {
	name = strings.ToLower(name)
	switch name {
	case "replisql.served_by":
		return s.servedBy, true
	case "transaction_isolation":
		if s.tx.block {
			return s.tx.isolation, true
		}
	case "transaction_read_only":
		if s.tx.block {
			return onOff(s.tx.readOnly), true
		}
	case "statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout":
		v, _ := s.params.get(name)
		return showMillis(v), true
	}
	if v, ok := s.params.get(name); ok {
		return v, true
	}
	// A PostgreSQL server setting RepliSQL does not manage: its
	// PostgreSQL 15 default, as pg_settings shows it.
	return catalog.Setting(name)
}

// showMillis prints a millisecond value with PostgreSQL's unit choice.
func showMillis(v string) string {
	if v == "0" || v == "" {
		return "0"
	}
	n := 0
	for _, c := range v {
		n = n*10 + int(c-'0')
	}
	switch {
	case n%3600000 == 0:
		return itoa(n/3600000) + "h"
	case n%60000 == 0:
		return itoa(n/60000) + "min"
	case n%1000 == 0:
		return itoa(n/1000) + "s"
	}
	return itoa(n) + "ms"
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// commandColumns are the result columns of a command statement, for
// Describe: SHOW returns one text column named after the parameter.
func commandColumns(st *pgsql.Statement) []pgwire.Column {
	if st.Kind == pgsql.KindSet && st.Set != nil && st.Set.Config != nil {
		cols := make([]pgwire.Column, len(st.Set.Config))
		for i, c := range st.Set.Config {
			cols[i] = pgwire.Column{Name: c.Column, TypeOID: pgwire.OIDText, TypeSize: -1, TypeModifier: -1}
		}
		return cols
	}
	if st.Kind != pgsql.KindShow || st.Show == nil {
		return nil
	}
	if st.Show.Name == "all" {
		return []pgwire.Column{
			{Name: "name", TypeOID: 25, TypeSize: -1, TypeModifier: -1},
			{Name: "setting", TypeOID: 25, TypeSize: -1, TypeModifier: -1},
			{Name: "description", TypeOID: 25, TypeSize: -1, TypeModifier: -1},
		}
	}
	name := st.Show.Name
	if d := paramDefs[strings.ToLower(name)]; d != nil {
		name = d.name
	}
	return []pgwire.Column{{Name: name, TypeOID: 25, TypeSize: -1, TypeModifier: -1}}
}
