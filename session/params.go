package session

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/replisql/replisql/pgwire"
	"github.com/replisql/replisql/pgwire/pgerr"
	"github.com/replisql/replisql/replica"
)

// paramDef describes one configuration parameter the session knows.
type paramDef struct {
	name     string // canonical spelling, as SHOW and ParameterStatus print it
	def      string
	report   bool // sent as ParameterStatus at startup and on change (GUC_REPORT)
	readOnly bool // SET fails with 55P02
	// normalize checks a new value and returns it as SHOW prints it.
	normalize func(string) (string, error)
	desc      string
}

var paramDefs = map[string]*paramDef{}

func def(p *paramDef) { paramDefs[strings.ToLower(p.name)] = p }

// check normalizes a new value of the parameter (SET, ALTER SYSTEM, a
// reload), failing with 22023 when it is not valid.
func (d *paramDef) check(value string) (string, error) {
	if d.normalize == nil {
		return value, nil
	}
	v, err := d.normalize(value)
	if err != nil {
		return "", pgerr.New(pgerr.InvalidParameterValue, "invalid value for parameter \"%s\": \"%s\"", d.name, value)
	}
	return v, nil
}

func init() {
	def(&paramDef{name: "application_name", report: true, desc: "Sets the application name to be reported in statistics and logs."})
	def(&paramDef{name: "client_encoding", def: "UTF8", report: true, normalize: normEncoding, desc: "Sets the client's character set encoding."})
	def(&paramDef{name: "DateStyle", def: "ISO, MDY", report: true, normalize: normDateStyle, desc: "Sets the display format for date and time values."})
	def(&paramDef{name: "default_transaction_read_only", def: "off", report: true, normalize: normBool, desc: "Sets the default read-only status of new transactions."})
	def(&paramDef{name: "in_hot_standby", def: "off", report: true, readOnly: true, desc: "Shows whether hot standby is currently active."})
	def(&paramDef{name: "integer_datetimes", def: "on", report: true, readOnly: true, desc: "Shows whether datetimes are integer based."})
	def(&paramDef{name: "IntervalStyle", def: "postgres", report: true, normalize: normIntervalStyle, desc: "Sets the display format for interval values."})
	def(&paramDef{name: "is_superuser", def: "on", report: true, readOnly: true, desc: "Shows whether the current user is a superuser."})
	def(&paramDef{name: "server_encoding", def: "UTF8", report: true, readOnly: true, desc: "Shows the server (database) character set encoding."})
	def(&paramDef{name: "server_version", def: DefaultServerVersion, report: true, readOnly: true, desc: "Shows the server version."})
	def(&paramDef{name: "server_version_num", def: "150018", readOnly: true, desc: "Shows the server version as an integer."})
	def(&paramDef{name: "session_authorization", report: true, readOnly: true, desc: "Sets the session user name."})
	def(&paramDef{name: "standard_conforming_strings", def: "on", report: true, normalize: normOnlyOn, desc: "Causes '...' strings to treat backslashes literally."})
	def(&paramDef{name: "TimeZone", def: "Etc/UTC", report: true, normalize: normTimeZone, desc: "Sets the time zone for displaying and interpreting time stamps."})
	def(&paramDef{name: "extra_float_digits", def: "1", normalize: normIntRange(-15, 3), desc: "Sets the number of digits displayed for floating-point values."})
	def(&paramDef{name: "search_path", def: `"$user", public`, desc: "Sets the schema search order for names that are not schema-qualified."})
	def(&paramDef{name: "statement_timeout", def: "0", normalize: normDuration, desc: "Sets the maximum allowed duration of any statement."})
	def(&paramDef{name: "lock_timeout", def: "0", normalize: normDuration, desc: "Sets the maximum allowed duration of any wait for a lock."})
	def(&paramDef{name: "idle_in_transaction_session_timeout", def: "0", normalize: normDuration, desc: "Sets the maximum allowed idle time between queries, when in a transaction."})
	def(&paramDef{name: "synchronous_commit", def: "on", normalize: normSyncCommit, desc: "Sets the current transaction's synchronization level."})
	def(&paramDef{name: "default_transaction_isolation", def: "read committed", normalize: normIsolation, desc: "Sets the transaction isolation level of each new transaction."})
	def(&paramDef{name: "transaction_isolation", def: "read committed", normalize: normIsolation, desc: "Sets the current transaction's isolation level."})
	def(&paramDef{name: "transaction_read_only", def: "off", normalize: normBool, desc: "Sets the current transaction's read-only status."})
	def(&paramDef{name: "client_min_messages", def: "notice", desc: "Sets the message levels that are sent to the client."})
	def(&paramDef{name: "bytea_output", def: "hex", normalize: normBytea, desc: "Sets the output format for bytea."})
	def(&paramDef{name: "max_identifier_length", def: "63", readOnly: true, desc: "Shows the maximum identifier length."})
	def(&paramDef{name: "max_connections", def: "100", readOnly: true, desc: "Sets the maximum number of concurrent connections."})
	def(&paramDef{name: "lc_messages", def: "C", desc: "Sets the language in which messages are displayed."})
	def(&paramDef{name: "lc_monetary", def: "C", desc: "Sets the locale for formatting monetary amounts."})
	def(&paramDef{name: "lc_numeric", def: "C", desc: "Sets the locale for formatting numbers."})
	def(&paramDef{name: "lc_time", def: "C", desc: "Sets the locale for formatting date and time values."})
	def(&paramDef{name: "replisql.read_routing", def: "any", normalize: normReadRouting, desc: "Where read-only statements run: leader, followers, or any (this node when fresh enough)."})
	def(&paramDef{name: "replisql.max_replica_lag", def: "0", normalize: normMaxLag, desc: "How far behind the leader a follower may be to serve a read: a duration, a size, or both (0: no bound)."})
	def(&paramDef{name: "replisql.read_your_writes", def: "on", normalize: normBool, desc: "A session's reads see its own commits wherever they are routed (off: only replisql.read_after_lsn is honoured)."})
	def(&paramDef{name: "replisql.read_after_lsn", def: "", normalize: normLSN, desc: "Reads see at least the commits up to this LSN (a token from replisql_last_commit_lsn())."})
	def(&paramDef{name: "synchronous_standby_names", def: "", normalize: normStandbyNames, desc: "Number of synchronous standbys and list of names of potential synchronous ones."})
	def(&paramDef{name: "work_mem", def: "4MB", desc: "Sets the maximum memory to be used for query workspaces."})
	def(&paramDef{name: "maintenance_work_mem", def: "64MB", desc: "Sets the maximum memory to be used for maintenance operations."})
	def(&paramDef{name: "jit", def: "off", normalize: normBool, desc: "Allow JIT compilation."})
	def(&paramDef{name: "row_security", def: "on", normalize: normBool, desc: "Enable row security."})
	def(&paramDef{name: "enable_seqscan", def: "on", normalize: normBool, desc: "Enables the planner's use of sequential-scan plans."})
	def(&paramDef{name: "geqo", def: "on", normalize: normBool, desc: "Enables genetic query optimization."})
	def(&paramDef{name: "server_version_full", def: "", readOnly: true})
	delete(paramDefs, "server_version_full")
}

// params holds a session's settings, with SET LOCAL values that revert
// at transaction end.
type params struct {
	values  map[string]string // by lower-case name
	session map[string]string // values before SET LOCAL in this transaction
	notify  func(name, value string)
}

func newParams(cfg Config, info pgwire.StartupInfo) *params {
	p := &params{values: map[string]string{}, notify: info.Notify}
	for k, d := range paramDefs {
		p.values[k] = d.def
	}
	p.values["server_version"] = cfg.ServerVersion
	p.values["session_authorization"] = info.User
	for k, v := range cfg.Defaults {
		p.values[strings.ToLower(k)] = v
	}
	return p
}

// applyStartup applies startup-message parameters and `options` (-c
// name=value) as PostgreSQL does, and returns the names it set (lower
// case): like a SET, they outrank the cluster's reloaded settings.
func (p *params) applyStartup(startup map[string]string) (set []string, err error) {
	names := make([]string, 0, len(startup))
	for k := range startup {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		v := startup[k]
		switch strings.ToLower(k) {
		case "user", "database", "replication":
			continue
		case "options":
			opts, perr := parseOptions(v)
			if perr != nil {
				return nil, perr
			}
			for _, kv := range opts {
				if err := p.set(kv[0], kv[1], false, false); err != nil {
					return nil, err
				}
				set = append(set, strings.ToLower(kv[0]))
			}
			continue
		}
		if err := p.set(k, v, false, false); err != nil {
			// PostgreSQL rejects unknown startup parameters (FATAL 42704);
			// keep that, except for the custom "x.y" kind it allows.
			return nil, err
		}
		set = append(set, strings.ToLower(k))
	}
	return set, nil
}

// parseOptions splits a startup `options` value: "-c a=b --c=d -c e=f".
func parseOptions(s string) ([][2]string, *pgerr.Error) {
	var out [][2]string
	fields := splitOptionWords(s)
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		var kv string
		switch {
		case f == "-c" && i+1 < len(fields):
			i++
			kv = fields[i]
		case strings.HasPrefix(f, "-c"):
			kv = f[2:]
		case strings.HasPrefix(f, "--"):
			kv = f[2:]
		default:
			return nil, pgerr.New(pgerr.ProtocolViolation, "invalid command-line argument for server process: %s", f)
		}
		name, val, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, pgerr.New(pgerr.SyntaxError, "-c %s requires a value", kv)
		}
		out = append(out, [2]string{strings.ReplaceAll(name, "-", "_"), val})
	}
	return out, nil
}

// splitOptionWords splits on spaces, honouring backslash escapes.
func splitOptionWords(s string) []string {
	var words []string
	var b strings.Builder
	esc := false
	for _, r := range s {
		switch {
		case esc:
			b.WriteRune(r)
			esc = false
		case r == '\\':
			esc = true
		case r == ' ' || r == '\t':
			if b.Len() > 0 {
				words = append(words, b.String())
				b.Reset()
			}
		default:
			b.WriteRune(r)
		}
	}
	if b.Len() > 0 {
		words = append(words, b.String())
	}
	return words
}

// get returns a parameter's value and whether it exists.
func (p *params) get(name string) (string, bool) {
	v, ok := p.values[strings.ToLower(name)]
	return v, ok
}

// set changes a parameter. local marks SET LOCAL (reverted at transaction
// end); inTx tells whether a transaction block is open (SET LOCAL outside
// one has no effect, with a warning from the caller).
func (p *params) set(name, value string, local, inTx bool) error {
	key := strings.ToLower(name)
	d := paramDefs[key]
	if d == nil {
		if !strings.Contains(key, ".") {
			return pgerr.New(pgerr.UndefinedObject, "unrecognized configuration parameter \"%s\"", name)
		}
		d = &paramDef{name: key}
	}
	if d.readOnly {
		return pgerr.New("55P02", "parameter \"%s\" cannot be changed", d.name)
	}
	value, err := d.check(value)
	if err != nil {
		return err
	}
	if local {
		if !inTx {
			return nil
		}
		if p.session == nil {
			p.session = map[string]string{}
		}
		if _, saved := p.session[key]; !saved {
			p.session[key] = p.values[key]
		}
	} else if p.session != nil {
		// A plain SET inside the transaction also survives it.
		delete(p.session, key)
	}
	p.assign(key, d, value)
	return nil
}

func (p *params) assign(key string, d *paramDef, value string) {
	old, had := p.values[key]
	p.values[key] = value
	if d.report && (!had || old != value) && p.notify != nil {
		p.notify(d.name, value)
	}
}

// reset restores a parameter's default.
func (p *params) reset(name string, dflt map[string]string) error {
	key := strings.ToLower(name)
	d := paramDefs[key]
	if d == nil {
		if strings.Contains(key, ".") {
			delete(p.values, key)
			return nil
		}
		return pgerr.New(pgerr.UndefinedObject, "unrecognized configuration parameter \"%s\"", name)
	}
	if d.readOnly {
		return pgerr.New("55P02", "parameter \"%s\" cannot be changed", d.name)
	}
	v := d.def
	if dv, ok := dflt[key]; ok {
		v = dv
	}
	p.assign(key, d, v)
	return nil
}

// endTx reverts SET LOCAL values at the end of a transaction.
func (p *params) endTx() {
	for k, v := range p.session {
		d := paramDefs[k]
		if d == nil {
			d = &paramDef{name: k}
		}
		p.assign(k, d, v)
	}
	p.session = nil
	p.values["transaction_isolation"] = p.values["default_transaction_isolation"]
	p.values["transaction_read_only"] = p.values["default_transaction_read_only"]
}

// reported lists the GUC_REPORT parameters in PostgreSQL's order.
func (p *params) reported() []pgwire.Param {
	var out []pgwire.Param
	for _, d := range paramDefs {
		if d.report {
			out = append(out, pgwire.Param{Name: d.name, Value: p.values[strings.ToLower(d.name)]})
		}
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name) })
	return out
}

// statementTimeout returns statement_timeout as a duration (0: none).
func (p *params) duration(name string) time.Duration {
	v, _ := p.get(name)
	ms, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0
	}
	return time.Duration(ms) * time.Millisecond
}

func normBool(v string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "on", "true", "yes", "1", "t", "y":
		return "on", nil
	case "off", "false", "no", "0", "f", "n":
		return "off", nil
	}
	return "", errBadValue
}

func normOnlyOn(v string) (string, error) {
	b, err := normBool(v)
	if err != nil || b != "on" {
		return "", errBadValue
	}
	return b, nil
}

func normEncoding(v string) (string, error) {
	switch strings.ToUpper(strings.ReplaceAll(strings.Trim(v, "'\" "), "-", "")) {
	case "UTF8", "UNICODE":
		return "UTF8", nil
	case "SQL_ASCII":
		return "SQL_ASCII", nil
	}
	return "", errBadValue
}

func normDateStyle(v string) (string, error) {
	out, order := "ISO", "MDY"
	for _, f := range strings.Split(v, ",") {
		switch strings.ToUpper(strings.TrimSpace(f)) {
		case "ISO", "":
		case "MDY", "US", "NONEURO", "NONEUROPEAN":
			order = "MDY"
		case "DMY", "EURO", "EUROPEAN":
			order = "DMY"
		case "YMD":
			order = "YMD"
		default:
			// Only ISO output is implemented.
			return "", errBadValue
		}
	}
	return out + ", " + order, nil
}

func normIntervalStyle(v string) (string, error) {
	if strings.ToLower(strings.TrimSpace(v)) == "postgres" {
		return "postgres", nil
	}
	return "", errBadValue
}

func normBytea(v string) (string, error) {
	if strings.ToLower(strings.TrimSpace(v)) == "hex" {
		return "hex", nil
	}
	return "", errBadValue
}

func normTimeZone(v string) (string, error) {
	v = strings.TrimSpace(v)
	if strings.EqualFold(v, "utc") || strings.EqualFold(v, "gmt") || v == "Z" {
		return "UTC", nil
	}
	if _, err := time.LoadLocation(v); err != nil {
		if _, err := strconv.ParseFloat(v, 64); err == nil {
			return v, nil
		}
		return "", errBadValue
	}
	return v, nil
}

func normIntRange(lo, hi int) func(string) (string, error) {
	return func(v string) (string, error) {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < lo || n > hi {
			return "", errBadValue
		}
		return strconv.Itoa(n), nil
	}
}

// normDuration accepts "0", "1500", "1500ms", "2s", "1min", "1h" and
// stores milliseconds, as PostgreSQL's default unit for timeouts.
func normDuration(v string) (string, error) {
	v = strings.ToLower(strings.TrimSpace(v))
	i := 0
	for i < len(v) && (v[i] >= '0' && v[i] <= '9' || v[i] == '.') {
		i++
	}
	n, err := strconv.ParseFloat(v[:i], 64)
	if err != nil || n < 0 {
		return "", errBadValue
	}
	mult := 1.0
	switch strings.TrimSpace(v[i:]) {
	case "", "ms":
	case "us":
		mult = 0.001
	case "s":
		mult = 1000
	case "min":
		mult = 60000
	case "h":
		mult = 3600000
	case "d":
		mult = 86400000
	default:
		return "", errBadValue
	}
	return strconv.FormatInt(int64(n*mult), 10), nil
}

// normStandbyNames checks a synchronous_standby_names value and keeps
// it as written, as PostgreSQL does.
func normStandbyNames(v string) (string, error) {
	if _, err := replica.ParseStandbyNames(v); err != nil {
		return "", errBadValue
	}
	return v, nil
}

func normSyncCommit(v string) (string, error) {
	switch s := strings.ToLower(strings.TrimSpace(v)); s {
	case "on", "off", "local", "remote_write", "remote_apply":
		return s, nil
	case "true", "yes", "1":
		return "on", nil
	case "false", "no", "0":
		return "off", nil
	}
	return "", errBadValue
}

func normIsolation(v string) (string, error) {
	switch s := strings.ToLower(strings.Join(strings.Fields(v), " ")); s {
	case "read committed", "read uncommitted", "repeatable read", "serializable":
		return s, nil
	}
	return "", errBadValue
}

type badValue struct{}

func (badValue) Error() string { return "invalid value" }

var errBadValue error = badValue{}
