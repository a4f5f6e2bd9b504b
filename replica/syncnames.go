package replica

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/replisql/replisql/wal"
)

// StandbyNames is a parsed synchronous_standby_names: which standbys a
// commit at a remote level waits for.
//
//	''                            no synchronous standbys
//	name [, ...]                  FIRST 1 (name [, ...])
//	[FIRST] num (name [, ...])    the num connected standbys that come
//	                              first in the list (priority order)
//	ANY num (name [, ...])        any num of the listed standbys
//
// A name is compared with the standby's application_name without regard
// to case, as PostgreSQL does; '*' matches every standby.
type StandbyNames struct {
	Any   bool // ANY: quorum; else FIRST: priority
	Num   int
	Names []string
}

// Empty reports whether no standby is synchronous.
func (n StandbyNames) Empty() bool { return n.Num == 0 || len(n.Names) == 0 }

// String prints n in the canonical form.
func (n StandbyNames) String() string {
	if n.Empty() {
		return ""
	}
	method := "FIRST"
	if n.Any {
		method = "ANY"
	}
	quoted := make([]string, len(n.Names))
	for i, name := range n.Names {
		quoted[i] = quoteName(name)
	}
	return fmt.Sprintf("%s %d (%s)", method, n.Num, strings.Join(quoted, ", "))
}

func quoteName(s string) string {
	if s == "*" {
		return s
	}
	for _, r := range s {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_') {
			return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
		}
	}
	return s
}

// priority is the 1-based position of the first list entry matching
// name, or 0 when none matches.
func (n StandbyNames) priority(name string) int {
	for i, s := range n.Names {
		if s == "*" || strings.EqualFold(s, name) {
			return i + 1
		}
	}
	return 0
}

// ParseStandbyNames parses a synchronous_standby_names value. Its errors
// read like PostgreSQL's DETAIL lines.
func ParseStandbyNames(v string) (StandbyNames, error) {
	toks, err := tokenize(v)
	if err != nil {
		return StandbyNames{}, err
	}
	if len(toks) == 0 {
		return StandbyNames{}, nil
	}
	var out StandbyNames
	i := 0
	if toks[0].word && !toks[0].quoted {
		switch strings.ToUpper(toks[0].s) {
		case "FIRST", "ANY":
			if len(toks) > 1 && toks[1].num {
				out.Any = strings.EqualFold(toks[0].s, "ANY")
				i = 1
			}
		}
	}
	if toks[i].num {
		if i+1 >= len(toks) || toks[i+1].s != "(" || toks[i+1].word {
			return StandbyNames{}, fmt.Errorf("syntax error at or near %q", tokText(toks, i+1))
		}
		num, err := strconv.Atoi(toks[i].s)
		if err != nil || num <= 0 {
			return StandbyNames{}, fmt.Errorf("number of synchronous standbys (%s) must be greater than zero", toks[i].s)
		}
		out.Num = num
		names, rest, err := nameList(toks, i+2, true)
		if err != nil {
			return StandbyNames{}, err
		}
		if rest != len(toks) {
			return StandbyNames{}, fmt.Errorf("syntax error at or near %q", tokText(toks, rest))
		}
		out.Names = names
		return out, nil
	}
	names, rest, err := nameList(toks, i, false)
	if err != nil {
		return StandbyNames{}, err
	}
	if rest != len(toks) {
		return StandbyNames{}, fmt.Errorf("syntax error at or near %q", tokText(toks, rest))
	}
	out.Num, out.Names = 1, names
	return out, nil
}

// nameList reads name [, name]... (and the closing parenthesis when
// paren) from toks[i:], returning the index after it.
func nameList(toks []token, i int, paren bool) ([]string, int, error) {
	var names []string
	for {
		if i >= len(toks) || !(toks[i].word || toks[i].num || toks[i].s == "*") {
			return nil, i, fmt.Errorf("syntax error at or near %q", tokText(toks, i))
		}
		names = append(names, toks[i].s)
		i++
		if i < len(toks) && toks[i].s == "," && !toks[i].word {
			i++
			continue
		}
		break
	}
	if paren {
		if i >= len(toks) || toks[i].s != ")" || toks[i].word {
			return nil, i, fmt.Errorf("syntax error at or near %q", tokText(toks, i))
		}
		i++
	}
	return names, i, nil
}

type token struct {
	s      string
	word   bool // identifier (possibly quoted)
	quoted bool
	num    bool
}

func tokText(toks []token, i int) string {
	if i >= len(toks) {
		return "end of input"
	}
	return toks[i].s
}

func tokenize(v string) ([]token, error) {
	var toks []token
	r := []rune(v)
	for i := 0; i < len(r); {
		c := r[i]
		switch {
		case unicode.IsSpace(c):
			i++
		case c == '(' || c == ')' || c == ',' || c == '*':
			toks = append(toks, token{s: string(c)})
			i++
		case c == '"':
			var sb strings.Builder
			i++
			for {
				if i >= len(r) {
					return nil, fmt.Errorf("unterminated quoted identifier")
				}
				if r[i] == '"' {
					if i+1 < len(r) && r[i+1] == '"' {
						sb.WriteRune('"')
						i += 2
						continue
					}
					i++
					break
				}
				sb.WriteRune(r[i])
				i++
			}
			toks = append(toks, token{s: sb.String(), word: true, quoted: true})
		case unicode.IsDigit(c):
			j := i
			for j < len(r) && unicode.IsDigit(r[j]) {
				j++
			}
			if j < len(r) && (unicode.IsLetter(r[j]) || r[j] == '_') {
				for j < len(r) && (unicode.IsLetter(r[j]) || unicode.IsDigit(r[j]) || r[j] == '_' || r[j] == '$') {
					j++
				}
				toks = append(toks, token{s: string(r[i:j]), word: true})
			} else {
				toks = append(toks, token{s: string(r[i:j]), num: true})
			}
			i = j
		case unicode.IsLetter(c) || c == '_':
			j := i
			for j < len(r) && (unicode.IsLetter(r[j]) || unicode.IsDigit(r[j]) || r[j] == '_' || r[j] == '$') {
				j++
			}
			toks = append(toks, token{s: string(r[i:j]), word: true})
			i = j
		default:
			return nil, fmt.Errorf("syntax error at or near %q", string(c))
		}
	}
	return toks, nil
}

// Level is a synchronous_commit level.
type Level int8

const (
	LevelOff Level = iota
	LevelLocal
	LevelRemoteWrite
	LevelOn
	LevelRemoteApply
)

// ParseLevel reads a synchronous_commit value (already normalised by the
// session: off, local, remote_write, on, remote_apply).
func ParseLevel(v string) (Level, bool) {
	switch v {
	case "off", "false", "no", "0":
		return LevelOff, true
	case "local":
		return LevelLocal, true
	case "remote_write", "2":
		return LevelRemoteWrite, true
	case "on", "true", "yes", "1":
		return LevelOn, true
	case "remote_apply":
		return LevelRemoteApply, true
	}
	return LevelOff, false
}

// Remote reports whether the level waits for standbys.
func (l Level) Remote() bool { return l >= LevelRemoteWrite }

// position is what a standby reported, as one level reads it.
func (p standbyPos) at(l Level) wal.LSN {
	switch l {
	case LevelRemoteWrite:
		return p.write
	case LevelRemoteApply:
		return p.apply
	}
	return p.flush
}

// standbyPos is one streaming standby's reported position.
type standbyPos struct {
	name                string
	write, flush, apply wal.LSN
}

// satisfied reports whether a commit ending at lsn may return: the
// standbys that names makes synchronous have reached lsn at level l.
func (n StandbyNames) satisfied(l Level, lsn wal.LSN, standbys []standbyPos) bool {
	if n.Empty() || !l.Remote() {
		return true
	}
	if n.Any {
		count := 0
		for _, s := range standbys {
			if n.priority(s.name) > 0 && s.at(l) >= lsn {
				count++
			}
		}
		return count >= n.Num
	}
	// FIRST: the Num connected standbys of highest priority must all
	// have reached lsn; with fewer connected, wait.
	chosen := n.syncStandbys(standbys)
	if len(chosen) < n.Num {
		return false
	}
	for _, s := range chosen {
		if s.at(l) < lsn {
			return false
		}
	}
	return true
}

// syncStandbys returns, for FIRST, the standbys currently synchronous: the
// Num connected ones with the best (lowest) priority, ties broken by
// order of connection.
func (n StandbyNames) syncStandbys(standbys []standbyPos) []standbyPos {
	var chosen []standbyPos
	for prio := 1; prio <= len(n.Names) && len(chosen) < n.Num; prio++ {
		for _, s := range standbys {
			if n.priority(s.name) == prio && len(chosen) < n.Num {
				chosen = append(chosen, s)
			}
		}
	}
	return chosen
}
