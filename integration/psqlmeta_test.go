package integration

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// psqlMetaDir holds the schema, the meta-commands and the goldens that
// testdata/psqlmeta/record.sh records from PostgreSQL 15.
const psqlMetaDir = "testdata/psqlmeta"

// knownMetaDiffs are the meta-commands whose output still differs from
// PostgreSQL's, with the reason. Their diff is logged, not failed; a
// command listed here that matches fails the test, so the list only
// shrinks. It is empty: what SQLite's schema does not hold (constraint
// names, CHECK text, identity, comments, storage options) the SQL layer
// keeps as annotations (pgsql/annotate.go) that the catalog shows.
var knownMetaDiffs = map[string]string{}

// TestPsqlMeta runs psql's meta-commands (\l, \dt, \d, \di, \dn, \du, \df,
// \d TABLE, \d+ TABLE) against a node holding testdata/psqlmeta/schema.sql
// and compares psql's output, byte for byte, with what PostgreSQL 15
// printed for the same schema (golden/NAME.txt, recorded by record.sh).
//
// Nothing is normalised: none of these commands prints an OID or a size
// (\dt+, \di+ and \l+ would), and the recording cluster is made to present
// itself as a node does: bootstrap superuser "postgres" (the user the test
// connects as, which a node reports as the owner of everything), database
// "postgres", encoding UTF8 and locale C.UTF-8 (what a node's pg_database
// reports). psql runs with -X, PGTZ=UTC and LANG=C.UTF-8 on both sides.
func TestPsqlMeta(t *testing.T) {
	t.Parallel()
	psql := psqlPath(t)
	n := startNode(t)
	dsn := n.dsn()
	env := []string{"LANG=C.UTF-8", "LC_ALL="}

	schema, err := filepath.Abs(filepath.Join(psqlMetaDir, "schema.sql"))
	if err != nil {
		t.Fatal(err)
	}
	if out, err := runPSQL(t, psql, dsn, env, "-q", "-v", "ON_ERROR_STOP=1", "-f", schema); err != nil {
		t.Fatalf("load %s: %v\n%s", schema, err, out)
	}
	commands := readMetaCommands(t)
	compared := map[string]bool{}
	compare := func(phase string) {
		for _, c := range commands {
			compared[c.name+".txt"] = true
			t.Run(phase+c.name, func(t *testing.T) {
				want, err := os.ReadFile(filepath.Join(psqlMetaDir, "golden", c.name+".txt"))
				if err != nil {
					t.Fatalf("golden of %s: %v (run testdata/psqlmeta/record.sh)", c.cmd, err)
				}
				got, _ := runPSQL(t, psql, dsn, env, "-c", c.cmd) // an error shows in the output
				reason, known := knownMetaDiffs[c.name]
				switch {
				case got == string(want) && known:
					t.Errorf("psql -c %q now matches PostgreSQL 15: remove it from knownMetaDiffs (%s)", c.cmd, reason)
				case got == string(want):
				case known:
					t.Logf("psql -c %q: known difference (%s):\n%s", c.cmd, reason, unifiedDiff("postgresql-15", "replisql", string(want), got))
				default:
					t.Errorf("psql -c %q differs from PostgreSQL 15:\n%s", c.cmd, unifiedDiff("postgresql-15", "replisql", string(want), got))
				}
			})
		}
	}
	compare("")
	// What the catalog shows beyond SQLite's schema (annotations) is in
	// the WAL like the DDL: a fresh replay gives the same database, and a
	// restarted node shows the same.
	n = checkReplayMatches(t, n)
	dsn = n.dsn()
	compare("restarted/")
	files, err := os.ReadDir(filepath.Join(psqlMetaDir, "golden"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !compared[f.Name()] {
			t.Errorf("golden/%s belongs to no command of commands.txt: re-run record.sh", f.Name())
		}
	}
}

type metaCommand struct{ name, cmd string }

// readMetaCommands reads commands.txt: NAME<TAB>COMMAND lines, # comments.
func readMetaCommands(t *testing.T) []metaCommand {
	t.Helper()
	f, err := os.Open(filepath.Join(psqlMetaDir, "commands.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cs []metaCommand
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, cmd, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("commands.txt: %q is not NAME<TAB>COMMAND", line)
		}
		cs = append(cs, metaCommand{name, cmd})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return cs
}

// unifiedDiff returns a unified diff (3 lines of context) of two texts,
// line by line, from a longest common subsequence: the outputs compared
// are a few dozen lines.
func unifiedDiff(aName, bName, a, b string) string {
	al, bl := splitLines(a), splitLines(b)
	// lcs[i][j] is the LCS length of al[i:] and bl[j:].
	lcs := make([][]int, len(al)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(bl)+1)
	}
	for i := len(al) - 1; i >= 0; i-- {
		for j := len(bl) - 1; j >= 0; j-- {
			if al[i] == bl[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type op struct {
		kind byte // ' ', '-', '+'
		line string
		ai   int // line numbers (0-based) in a and b before this op
		bi   int
	}
	var ops []op
	i, j := 0, 0
	for i < len(al) || j < len(bl) {
		switch {
		case i < len(al) && j < len(bl) && al[i] == bl[j]:
			ops = append(ops, op{' ', al[i], i, j})
			i, j = i+1, j+1
		case i < len(al) && (j == len(bl) || lcs[i+1][j] >= lcs[i][j+1]):
			ops = append(ops, op{'-', al[i], i, j})
			i++
		default:
			ops = append(ops, op{'+', bl[j], i, j})
			j++
		}
	}
	const context = 3
	var sb strings.Builder
	fmt.Fprintf(&sb, "--- %s\n+++ %s\n", aName, bName)
	for k := 0; k < len(ops); {
		if ops[k].kind == ' ' {
			k++
			continue
		}
		start := max(k-context, 0)
		end := k
		// Extend the hunk while changes are within 2*context of each other.
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			next := end
			for next < len(ops) && ops[next].kind == ' ' {
				next++
			}
			if next == len(ops) || next-end > 2*context {
				end = min(end+context, len(ops))
				break
			}
			end = next
		}
		var na, nb int
		for _, o := range ops[start:end] {
			if o.kind != '+' {
				na++
			}
			if o.kind != '-' {
				nb++
			}
		}
		fmt.Fprintf(&sb, "@@ -%d,%d +%d,%d @@\n", ops[start].ai+1, na, ops[start].bi+1, nb)
		for _, o := range ops[start:end] {
			sb.WriteByte(o.kind)
			sb.WriteString(o.line)
			sb.WriteByte('\n')
		}
		k = end
	}
	return sb.String()
}

// splitLines splits s into lines; a missing final newline shows as a
// marker on the last line, as diff shows it.
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	lines := strings.Split(s, "\n")
	if lines[len(lines)-1] == "" {
		return lines[:len(lines)-1]
	}
	lines[len(lines)-1] += " \\ (no newline at end)"
	return lines
}
