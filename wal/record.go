package wal

import (
	"encoding/binary"
	"hash/crc32"
)

// RecordType is the caller's kind of record. 0 is invalid; 1..255 belong to
// the caller.
type RecordType uint8

// Frame layout (see the package doc).
const (
	// HeaderSize is the size of a frame header in bytes.
	HeaderSize = 32
	// MaxRecordSize is the largest payload the format allows (1 GiB).
	// Options.MaxRecordSize limits what Append accepts.
	MaxRecordSize = 1 << 30

	offCRC      = 0
	offLength   = 4
	offLSN      = 8
	offTerm     = 16
	offType     = 24
	offReserved = 25
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Record is one log record. Payload is owned by whoever holds the Record.
type Record struct {
	LSN     LSN // position of the first header byte
	Term    uint64
	Type    RecordType
	Payload []byte
}

// End is the LSN just past the record: the LSN of the next record.
func (r Record) End() LSN { return EndOf(r.LSN, len(r.Payload)) }

// EndOf is the end LSN of a record at lsn with a payload of n bytes.
func EndOf(lsn LSN, n int) LSN { return lsn + LSN(HeaderSize+n) }

// putHeader fills h (HeaderSize bytes) for a record, CRC included.
func putHeader(h []byte, lsn LSN, term uint64, typ RecordType, payload []byte) {
	binary.LittleEndian.PutUint32(h[offLength:], uint32(len(payload)))
	binary.LittleEndian.PutUint64(h[offLSN:], uint64(lsn))
	binary.LittleEndian.PutUint64(h[offTerm:], term)
	h[offType] = byte(typ)
	clear(h[offReserved:HeaderSize])
	crc := crc32.Update(0, castagnoli, h[offLength:HeaderSize])
	crc = crc32.Update(crc, castagnoli, payload)
	binary.LittleEndian.PutUint32(h[offCRC:], crc)
}

// AppendRecord appends the frame of a record at lsn to dst and returns the
// extended slice. Replication may ship frames built this way; DecodeRecord
// reads them back.
func AppendRecord(dst []byte, lsn LSN, term uint64, typ RecordType, payload []byte) []byte {
	n := len(dst)
	dst = append(dst, make([]byte, HeaderSize)...)
	dst = append(dst, payload...)
	putHeader(dst[n:n+HeaderSize], lsn, term, typ, payload)
	return dst
}
