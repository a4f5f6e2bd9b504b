package wal

import "errors"

// Errors returned by the package. Branch on them with errors.Is.
var (
	// ErrTornRecord: a frame is incomplete (the bytes end inside it).
	ErrTornRecord = errors.New("wal: torn record")
	// ErrCorrupt: a frame or the segment layout fails validation where
	// valid data is expected.
	ErrCorrupt = errors.New("wal: corrupt log")
	// ErrPurged: the requested LSN is before FirstLSN.
	ErrPurged = errors.New("wal: requested LSN has been purged")
	// ErrTruncated: a Reader's position was removed by TruncateAfter.
	ErrTruncated = errors.New("wal: reader position was truncated away")
	// ErrClosed: the WAL is closed.
	ErrClosed = errors.New("wal: closed")
	// ErrFailed: an earlier write or fsync failed; the WAL refuses writes
	// until it is closed and opened again (recovery decides what is on disk).
	ErrFailed = errors.New("wal: an earlier write or fsync failed; reopen the log")
	// ErrInvalidLSN: an LSN argument is not a record boundary or is out of
	// range.
	ErrInvalidLSN = errors.New("wal: invalid LSN")
	// ErrLSNMismatch: AppendAt was given an LSN other than the end LSN.
	ErrLSNMismatch = errors.New("wal: LSN does not match the end of the log")
	// ErrTooLarge: a payload exceeds Options.MaxRecordSize.
	ErrTooLarge = errors.New("wal: record too large")
	// ErrInvalidType: record type 0 is reserved.
	ErrInvalidType = errors.New("wal: invalid record type")
)
