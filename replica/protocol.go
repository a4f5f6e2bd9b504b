package replica

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/replisql/replisql/wal"
)

// The messages inside CopyData of a CopyBoth exchange, as PostgreSQL's
// streaming replication defines them (protocol-replication.html). All
// integers are big endian; times are microseconds since 2000-01-01 UTC.
//
// Leader to follower:
//
//	'w' XLogData:  start LSN (8), leader's WAL end (8), send time (8),
//	               then WAL bytes: here, whole record frames exactly as
//	               they lie in the leader's segment files, starting at the
//	               start LSN.
//	'k' keepalive: leader's WAL end (8), send time (8), reply requested (1).
//
// Follower to leader:
//
//	'r' standby status update: write LSN (8), flush LSN (8), apply LSN
//	    (8), send time (8), reply requested (1).

const (
	msgXLogData  = 'w'
	msgKeepalive = 'k'
	msgStatus    = 'r'

	xlogDataHeader = 1 + 8 + 8 + 8
	keepaliveSize  = 1 + 8 + 8 + 1
	statusSize     = 1 + 8 + 8 + 8 + 8 + 1
)

// pgEpoch is PostgreSQL's epoch for replication timestamps.
var pgEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

func pgTime(t time.Time) int64 { return t.Sub(pgEpoch).Microseconds() }

func fromPGTime(us int64) time.Time { return pgEpoch.Add(time.Duration(us) * time.Microsecond) }

// errMessage is a malformed replication message.
var errMessage = errors.New("replica: malformed replication message")

// xlogData is one 'w' message.
type xlogData struct {
	Start  wal.LSN
	WALEnd wal.LSN
	Sent   time.Time
	Data   []byte // aliases the message
}

func appendXLogDataHeader(dst []byte, start, walEnd wal.LSN, sent time.Time) []byte {
	dst = append(dst, msgXLogData)
	dst = binary.BigEndian.AppendUint64(dst, uint64(start))
	dst = binary.BigEndian.AppendUint64(dst, uint64(walEnd))
	return binary.BigEndian.AppendUint64(dst, uint64(pgTime(sent)))
}

func parseXLogData(b []byte) (xlogData, error) {
	if len(b) < xlogDataHeader || b[0] != msgXLogData {
		return xlogData{}, fmt.Errorf("%w: XLogData of %d bytes", errMessage, len(b))
	}
	return xlogData{
		Start:  wal.LSN(binary.BigEndian.Uint64(b[1:])),
		WALEnd: wal.LSN(binary.BigEndian.Uint64(b[9:])),
		Sent:   fromPGTime(int64(binary.BigEndian.Uint64(b[17:]))),
		Data:   b[xlogDataHeader:],
	}, nil
}

// keepalive is one 'k' message.
type keepalive struct {
	WALEnd         wal.LSN
	Sent           time.Time
	ReplyRequested bool
}

func appendKeepalive(dst []byte, k keepalive) []byte {
	dst = append(dst, msgKeepalive)
	dst = binary.BigEndian.AppendUint64(dst, uint64(k.WALEnd))
	dst = binary.BigEndian.AppendUint64(dst, uint64(pgTime(k.Sent)))
	return append(dst, boolByte(k.ReplyRequested))
}

func parseKeepalive(b []byte) (keepalive, error) {
	if len(b) != keepaliveSize || b[0] != msgKeepalive {
		return keepalive{}, fmt.Errorf("%w: keepalive of %d bytes", errMessage, len(b))
	}
	return keepalive{
		WALEnd:         wal.LSN(binary.BigEndian.Uint64(b[1:])),
		Sent:           fromPGTime(int64(binary.BigEndian.Uint64(b[9:]))),
		ReplyRequested: b[17] != 0,
	}, nil
}

// standbyStatus is one 'r' message: how far the follower got.
type standbyStatus struct {
	Write, Flush, Apply wal.LSN
	Sent                time.Time
	ReplyRequested      bool
}

func appendStandbyStatus(dst []byte, s standbyStatus) []byte {
	dst = append(dst, msgStatus)
	dst = binary.BigEndian.AppendUint64(dst, uint64(s.Write))
	dst = binary.BigEndian.AppendUint64(dst, uint64(s.Flush))
	dst = binary.BigEndian.AppendUint64(dst, uint64(s.Apply))
	dst = binary.BigEndian.AppendUint64(dst, uint64(pgTime(s.Sent)))
	return append(dst, boolByte(s.ReplyRequested))
}

func parseStandbyStatus(b []byte) (standbyStatus, error) {
	if len(b) != statusSize || b[0] != msgStatus {
		return standbyStatus{}, fmt.Errorf("%w: standby status update of %d bytes", errMessage, len(b))
	}
	return standbyStatus{
		Write:          wal.LSN(binary.BigEndian.Uint64(b[1:])),
		Flush:          wal.LSN(binary.BigEndian.Uint64(b[9:])),
		Apply:          wal.LSN(binary.BigEndian.Uint64(b[17:])),
		Sent:           fromPGTime(int64(binary.BigEndian.Uint64(b[25:]))),
		ReplyRequested: b[33] != 0,
	}, nil
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}
