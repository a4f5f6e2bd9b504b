package wal

import (
	"bytes"
	"strings"
	"testing"
)

func TestDump(t *testing.T) {
	dir := t.TempDir()
	opts := testOptions(t, dir)
	recs := buildLog(t, opts)
	atRecord(-1, 100, 10, zero)(t, dir, recs)

	var out bytes.Buffer
	if err := Dump(&out, nil, dir); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	t.Log(text)
	if got := strings.Count(text, "crc=ok"); got != len(recs)-1 {
		t.Fatalf("%d good records dumped, want %d", got, len(recs)-1)
	}
	if got := strings.Count(text, "segment "); got != len(segmentFiles(t, dir)) {
		t.Fatalf("%d segments dumped", got)
	}
	bad := "lsn=" + recs[len(recs)-1].lsn.String() + " term=1 type=1 len=1000 crc=BAD"
	if !strings.Contains(text, bad) {
		t.Fatalf("dump lacks %q", bad)
	}
	first := "lsn=0/1000000 end=" + recs[0].end.String() + " term=1 type=1 len=300 crc=ok"
	if !strings.Contains(text, first) {
		t.Fatalf("dump lacks %q", first)
	}
}
