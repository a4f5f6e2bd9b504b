package session

import (
	"maps"
	"strings"

	"github.com/replisql/replisql/pgsql"
	"github.com/replisql/replisql/pgwire/pgerr"
)

// Cluster-wide settings that change while the node runs, as in
// PostgreSQL: ALTER SYSTEM SET writes them (through Config.AlterSystem,
// into the data directory), and a configuration reload
// (pg_reload_conf() or SIGHUP, through Engine.Reload) makes them the
// value of every session that did not SET its own. A commit waiting for
// standbys re-reads them, so a reload that empties
// synchronous_standby_names (or lowers synchronous_commit) releases the
// waits it no longer needs.

// reloadable are the settings a reload changes.
var reloadable = []string{"synchronous_commit", "synchronous_standby_names", "replisql.read_routing"}

func isReloadable(name string) bool {
	for _, r := range reloadable {
		if r == name {
			return true
		}
	}
	return false
}

// clusterSettings is one generation of the reloaded settings.
type clusterSettings struct {
	gen    uint64
	values map[string]string
	// defaults are Config.Defaults with values over them: what RESET
	// restores, made once per reload.
	defaults map[string]string
}

// Reload makes values the cluster's settings (those of reloadable that
// values holds; the others keep their start-up value from
// Config.Defaults). It returns the settings that changed.
func (e *Engine) Reload(values map[string]string) (map[string]string, error) {
	next := map[string]string{}
	for _, name := range reloadable {
		v, ok := values[name]
		if !ok {
			v = e.cfg.Defaults[name]
			if v == "" && name != "synchronous_standby_names" {
				v = paramDefs[name].def
			}
		}
		v, err := paramDefs[name].check(v)
		if err != nil {
			return nil, err
		}
		next[name] = v
	}
	cur := e.cluster.Load()
	changed := map[string]string{}
	for name, v := range next {
		if e.clusterValue(name) != v {
			changed[name] = v
		}
	}
	gen := uint64(1)
	if cur != nil {
		gen = cur.gen + 1
	}
	dflt := make(map[string]string, len(e.cfg.Defaults)+len(next))
	maps.Copy(dflt, e.cfg.Defaults)
	maps.Copy(dflt, next)
	e.cluster.Store(&clusterSettings{gen: gen, values: next, defaults: dflt})
	if r, ok := e.cfg.Replication.(interface{ Reconfigured() }); ok {
		r.Reconfigured() // wake commits waiting for standbys
	}
	return changed, nil
}

// clusterValue is the cluster's current value of a setting.
func (e *Engine) clusterValue(name string) string {
	if c := e.cluster.Load(); c != nil {
		if v, ok := c.values[name]; ok {
			return v
		}
	}
	if v, ok := e.cfg.Defaults[name]; ok {
		return v
	}
	if d := paramDefs[name]; d != nil {
		return d.def
	}
	return ""
}

// defaults are the values RESET restores: the start-up defaults with the
// reloaded settings over them.
func (e *Engine) defaults() map[string]string {
	if c := e.cluster.Load(); c != nil {
		return c.defaults
	}
	return e.cfg.Defaults
}

func (e *Engine) clusterGen() uint64 {
	if c := e.cluster.Load(); c != nil {
		return c.gen
	}
	return 0
}

// syncCluster gives the session the reloaded settings it did not SET
// itself, between transactions.
func (s *Session) syncCluster() {
	gen := s.eng.clusterGen()
	if gen == s.clusterGen || s.tx.block {
		return
	}
	s.clusterGen = gen
	for _, name := range reloadable {
		if !s.explicit[name] {
			s.params.values[name] = s.eng.clusterValue(name)
		}
	}
}

// noteSet records which reloadable settings the session set itself.
func (s *Session) noteSet(set *pgsql.SetStmt) {
	switch {
	case set.ResetAll:
		clear(s.explicit)
	case isReloadable(set.Name) && !set.Local:
		if s.explicit == nil {
			s.explicit = map[string]bool{}
		}
		s.explicit[set.Name] = !set.Reset
	}
}

// commitWait is what a commit waits by: its synchronous_commit and
// synchronous_standby_names, each the session's own if it set it, else
// the cluster's current one (which a reload may change while it waits).
type commitWait struct {
	eng               *Engine
	level, names      string
	ownLevel, ownName bool
}

// commitWait captures the settings of the transaction ending now.
func (s *Session) commitWait() commitWait {
	return commitWait{eng: s.eng,
		level: s.params.values["synchronous_commit"], names: s.params.values["synchronous_standby_names"],
		ownLevel: s.ownSetting("synchronous_commit"), ownName: s.ownSetting("synchronous_standby_names")}
}

// ownSetting reports whether the session, not the cluster, decides a
// reloadable setting now: it SET it (or gave it at startup), or SET
// LOCAL it in the open transaction.
func (s *Session) ownSetting(name string) bool {
	_, local := s.params.session[name]
	return s.explicit[name] || local
}

// now returns the level and names to wait by at this moment.
func (w *commitWait) now() (string, string) {
	l, n := w.level, w.names
	if !w.ownLevel {
		l = w.eng.clusterValue("synchronous_commit")
	}
	if !w.ownName {
		n = w.eng.clusterValue("synchronous_standby_names")
	}
	return l, n
}

// needsStandbys reports whether a commit must wait for standbys now.
func (w *commitWait) needsStandbys() bool {
	l, n := w.now()
	switch l {
	case "remote_write", "on", "remote_apply":
		return n != ""
	}
	return false
}

// alterSystem carries out ALTER SYSTEM SET/RESET.
func (s *Session) alterSystem(set *pgsql.SetStmt) error {
	if s.tx.block {
		return pgerr.New(pgerr.ActiveSQLTransaction, "ALTER SYSTEM cannot run inside a transaction block")
	}
	if s.eng.cfg.AlterSystem == nil {
		return pgerr.New(pgerr.FeatureNotSupported, "ALTER SYSTEM is not supported on this node")
	}
	if set.ResetAll {
		for _, name := range reloadable {
			if err := s.eng.cfg.AlterSystem(name, "", true); err != nil {
				return err
			}
		}
		return nil
	}
	name := strings.ToLower(set.Name)
	d := paramDefs[name]
	if d == nil && !strings.Contains(name, ".") {
		return pgerr.New(pgerr.UndefinedObject, "unrecognized configuration parameter \"%s\"", set.Name)
	}
	if !isReloadable(name) {
		return pgerr.New(pgerr.FeatureNotSupported, "ALTER SYSTEM SET %s is not supported: only %s change while the node runs", name, strings.Join(reloadable, ", "))
	}
	v := set.Value
	if !set.Reset {
		var err error
		if v, err = d.check(v); err != nil {
			return err
		}
	}
	return s.eng.cfg.AlterSystem(name, v, set.Reset)
}
