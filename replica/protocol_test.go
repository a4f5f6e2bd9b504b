package replica

import (
	"bytes"
	"testing"
	"time"

	"github.com/replisql/replisql/wal"
)

func TestProtocolRoundTrip(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 123456000, time.UTC)
	b := appendXLogDataHeader(nil, 0x1000000, 0x2000000, now)
	b = append(b, "frames"...)
	x, err := parseXLogData(b)
	if err != nil || x.Start != 0x1000000 || x.WALEnd != 0x2000000 || !x.Sent.Equal(now) || string(x.Data) != "frames" {
		t.Fatalf("XLogData round trip: %+v %v", x, err)
	}
	k := keepalive{WALEnd: 42, Sent: now, ReplyRequested: true}
	if got, err := parseKeepalive(appendKeepalive(nil, k)); err != nil || got != k {
		t.Fatalf("keepalive round trip: %+v %v", got, err)
	}
	s := standbyStatus{Write: 3, Flush: 2, Apply: 1, Sent: now}
	if got, err := parseStandbyStatus(appendStandbyStatus(nil, s)); err != nil || got != s {
		t.Fatalf("status round trip: %+v %v", got, err)
	}
	// PostgreSQL's layout: 'r', three LSNs, a time, one byte: 34 bytes.
	if n := len(appendStandbyStatus(nil, s)); n != 34 {
		t.Fatalf("status update is %d bytes, PostgreSQL's is 34", n)
	}
	for _, bad := range [][]byte{nil, {'w'}, {'k', 0}, {'r', 1, 2}, bytes.Repeat([]byte{'r'}, 35)} {
		if _, err := parseStandbyStatus(bad); err == nil && len(bad) != statusSize {
			t.Errorf("parseStandbyStatus(%q) accepted a malformed message", bad)
		}
	}
}

func TestLagTracker(t *testing.T) {
	var tr lagTracker
	t0 := time.Unix(1000, 0)
	for i := range 10 {
		tr.add(wal.LSN(100*(i+1)), t0.Add(time.Duration(i)*10*time.Millisecond))
	}
	// The standby wrote up to 550: the newest sample at or before it was
	// sent at t0+40ms.
	d, ok := tr.since(lagWrite, 550, t0.Add(100*time.Millisecond))
	if !ok || d != 60*time.Millisecond {
		t.Fatalf("lag = %v, %v; want 60ms", d, ok)
	}
	// Samples are consumed: the same position gives nothing new.
	if _, ok := tr.since(lagWrite, 550, t0.Add(time.Second)); ok {
		t.Fatal("a consumed sample was used twice")
	}
	// Other kinds consume independently.
	if d, ok := tr.since(lagApply, 100, t0.Add(5*time.Millisecond)); !ok || d != 5*time.Millisecond {
		t.Fatalf("apply lag = %v, %v", d, ok)
	}
	// Wrapping around the ring keeps working.
	for i := range 1000 {
		tr.add(wal.LSN(10000+i*10), t0.Add(time.Duration(100+i)*time.Millisecond))
	}
	if _, ok := tr.since(lagFlush, 20000, t0.Add(2*time.Second)); !ok {
		t.Fatal("no sample after wrap-around")
	}
}

// FuzzReplicationMessages feeds arbitrary bytes to every decoder of
// messages that arrive from the network, and to the follower's frame
// decoding: none may panic, and what decodes must encode back the same.
func FuzzReplicationMessages(f *testing.F) {
	now := time.Unix(1700000000, 0)
	f.Add(appendStandbyStatus(nil, standbyStatus{Write: 1, Flush: 2, Apply: 3, Sent: now}))
	f.Add(appendKeepalive(nil, keepalive{WALEnd: 9, Sent: now, ReplyRequested: true}))
	x := appendXLogDataHeader(nil, wal.DefaultStartLSN, wal.DefaultStartLSN, now)
	x = wal.AppendRecord(x, wal.DefaultStartLSN, 1, 1, []byte("payload"))
	f.Add(x)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		if s, err := parseStandbyStatus(b); err == nil {
			if !bytes.Equal(appendStandbyStatus(nil, s)[:25], b[:25]) {
				t.Fatal("status does not round-trip")
			}
		}
		if k, err := parseKeepalive(b); err == nil {
			if !bytes.Equal(appendKeepalive(nil, k)[:9], b[:9]) {
				t.Fatal("keepalive does not round-trip")
			}
		}
		if x, err := parseXLogData(b); err == nil {
			for off := 0; off < len(x.Data); {
				_, n, err := wal.DecodeRecord(x.Data[off:], x.Start+wal.LSN(off))
				if err != nil {
					break
				}
				if n <= 0 {
					t.Fatal("DecodeRecord consumed nothing")
				}
				off += n
			}
		}
	})
}
