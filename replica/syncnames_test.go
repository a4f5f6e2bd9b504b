package replica

import (
	"testing"

	"github.com/replisql/replisql/wal"
)

func TestParseStandbyNames(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    string // canonical form; "" for empty
		wantErr bool
	}{
		{in: "", want: ""},
		{in: "   ", want: ""},
		{in: "n1", want: "FIRST 1 (n1)"},
		{in: "n1, n2", want: "FIRST 1 (n1, n2)"},
		{in: "*", want: "FIRST 1 (*)"},
		{in: "2 (n1, n2, n3)", want: "FIRST 2 (n1, n2, n3)"},
		{in: "FIRST 2 (n1, n2)", want: "FIRST 2 (n1, n2)"},
		{in: "first 1 (a)", want: "FIRST 1 (a)"},
		{in: "ANY 1 (*)", want: "ANY 1 (*)"},
		{in: "any 2 (n1,n2,n3)", want: "ANY 2 (n1, n2, n3)"},
		{in: `ANY 1 ("Node A", n2)`, want: `ANY 1 ("Node A", n2)`},
		{in: `"a""b"`, want: `FIRST 1 ("a""b")`},
		{in: "first", want: "FIRST 1 (first)"}, // a standby may be called first
		{in: "any, first", want: "FIRST 1 (any, first)"},
		{in: "ANY 0 (n1)", wantErr: true},
		{in: "ANY 1 n1", wantErr: true},
		{in: "ANY 1 (n1", wantErr: true},
		{in: "ANY 1 ()", wantErr: true},
		{in: "n1,", wantErr: true},
		{in: "n1 n2", wantErr: true},
		{in: `"unterminated`, wantErr: true},
		{in: "n1; drop", wantErr: true},
	} {
		got, err := ParseStandbyNames(tc.in)
		if tc.wantErr {
			if err == nil {
				t.Errorf("ParseStandbyNames(%q) = %v, want an error", tc.in, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseStandbyNames(%q): %v", tc.in, err)
			continue
		}
		if got.String() != tc.want {
			t.Errorf("ParseStandbyNames(%q) = %q, want %q", tc.in, got.String(), tc.want)
		}
	}
}

func TestSatisfied(t *testing.T) {
	const lsn = wal.LSN(1000)
	at := func(name string, write, flush, apply wal.LSN) standbyPos {
		return standbyPos{name: name, write: write, flush: flush, apply: apply}
	}
	for _, tc := range []struct {
		names    string
		level    Level
		standbys []standbyPos
		want     bool
	}{
		{"", LevelOn, nil, true},             // asynchronous
		{"ANY 1 (*)", LevelLocal, nil, true}, // local level never waits
		{"ANY 1 (*)", LevelOn, nil, false},   // nobody connected: wait
		{"ANY 1 (*)", LevelOn, []standbyPos{at("a", 1000, 999, 0)}, false},
		{"ANY 1 (*)", LevelRemoteWrite, []standbyPos{at("a", 1000, 999, 0)}, true},
		{"ANY 1 (*)", LevelOn, []standbyPos{at("a", 1000, 1000, 0)}, true},
		{"ANY 1 (*)", LevelRemoteApply, []standbyPos{at("a", 1000, 1000, 999)}, false},
		{"ANY 1 (*)", LevelRemoteApply, []standbyPos{at("a", 2000, 2000, 1000)}, true},
		{"ANY 2 (a, b, c)", LevelOn, []standbyPos{at("a", 0, 1000, 0), at("x", 0, 1000, 0)}, false}, // x not listed
		{"ANY 2 (a, b, c)", LevelOn, []standbyPos{at("a", 0, 1000, 0), at("C", 0, 1000, 0)}, true},  // names ignore case
		{"FIRST 1 (a, b)", LevelOn, []standbyPos{at("b", 0, 1000, 0)}, true},                        // a absent: b is sync
		{"FIRST 1 (a, b)", LevelOn, []standbyPos{at("a", 0, 10, 0), at("b", 0, 1000, 0)}, false},    // a present, behind
		{"FIRST 2 (a, b, c)", LevelOn, []standbyPos{at("a", 0, 1000, 0), at("c", 0, 1000, 0)}, true},
		{"FIRST 2 (a, b, c)", LevelOn, []standbyPos{at("a", 0, 1000, 0)}, false}, // too few connected
		{"FIRST 1 (*)", LevelOn, []standbyPos{at("z", 0, 1000, 0)}, true},
	} {
		n, err := ParseStandbyNames(tc.names)
		if err != nil {
			t.Fatal(err)
		}
		if got := n.satisfied(tc.level, lsn, tc.standbys); got != tc.want {
			t.Errorf("%q level %d %v: satisfied = %v, want %v", tc.names, tc.level, tc.standbys, got, tc.want)
		}
	}
}

func TestParseLevel(t *testing.T) {
	for in, want := range map[string]Level{"off": LevelOff, "local": LevelLocal, "remote_write": LevelRemoteWrite, "on": LevelOn, "remote_apply": LevelRemoteApply} {
		if got, ok := ParseLevel(in); !ok || got != want {
			t.Errorf("ParseLevel(%q) = %v, %v", in, got, ok)
		}
	}
	if _, ok := ParseLevel("sometimes"); ok {
		t.Error("ParseLevel accepted nonsense")
	}
}
