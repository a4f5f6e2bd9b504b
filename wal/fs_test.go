package wal

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
)

// faultFS wraps an FS, counts fsyncs and fails chosen operations.
type faultFS struct {
	FS
	fileSyncs atomic.Int64

	mu      sync.Mutex // guards faults and renamed
	faults  []*fault
	renamed map[string]string // old path -> new path, so open files know their name
}

// fault fails the next `times` operations op on files whose base name has
// the suffix (every file if suffix is empty); times < 0 fails forever.
type fault struct {
	op     string // "write", "sync", "rename", "syncdir", "remove", "open"
	suffix string
	times  int
}

var errInjected = errors.New("injected fault")

func newFaultFS() *faultFS { return &faultFS{FS: OSFS{}} }

func (f *faultFS) inject(op, suffix string, times int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, &fault{op: op, suffix: suffix, times: times})
}

func (f *faultFS) clear() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = nil
}

func (f *faultFS) check(op, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := 0; i < 10; i++ {
		if n, ok := f.renamed[name]; ok {
			name = n
		}
	}
	for _, ft := range f.faults {
		if ft.op != op || ft.times == 0 || !strings.HasSuffix(filepath.Base(name), ft.suffix) {
			continue
		}
		if ft.times > 0 {
			ft.times--
		}
		return errInjected
	}
	return nil
}

func (f *faultFS) OpenFile(name string, flag int, perm fs.FileMode) (File, error) {
	if err := f.check("open", name); err != nil {
		return nil, err
	}
	file, err := f.FS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &faultFile{File: file, fs: f, name: name}, nil
}

func (f *faultFS) Rename(oldpath, newpath string) error {
	if err := f.check("rename", newpath); err != nil {
		return err
	}
	if err := f.FS.Rename(oldpath, newpath); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.renamed == nil {
		f.renamed = make(map[string]string)
	}
	f.renamed[oldpath] = newpath
	return nil
}

func (f *faultFS) Remove(name string) error {
	if err := f.check("remove", name); err != nil {
		return err
	}
	return f.FS.Remove(name)
}

func (f *faultFS) SyncDir(name string) error {
	if err := f.check("syncdir", name); err != nil {
		return err
	}
	return f.FS.SyncDir(name)
}

type faultFile struct {
	File
	fs   *faultFS
	name string
}

func (f *faultFile) WriteAt(b []byte, off int64) (int, error) {
	if err := f.fs.check("write", f.name); err != nil {
		return 0, err
	}
	return f.File.WriteAt(b, off)
}

func (f *faultFile) Sync() error {
	if err := f.fs.check("sync", f.name); err != nil {
		return err
	}
	f.fs.fileSyncs.Add(1)
	return f.File.Sync()
}
