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

	// While holdSyncs is set, every file fsync announces itself on
	// syncStarted and waits for a value on syncRelease.
	holdSyncs   atomic.Bool
	syncStarted chan struct{}
	syncRelease chan struct{}

	mu     sync.Mutex // guards faults, files and faultFile.name
	faults []*fault
	files  map[string]*faultFile // the file last opened at each path, so a rename renames it
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
	ff := &faultFile{File: file, fs: f, name: name}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.files == nil {
		f.files = make(map[string]*faultFile)
	}
	f.files[name] = ff
	return ff, nil
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
	if ff, ok := f.files[oldpath]; ok {
		ff.name = newpath
		delete(f.files, oldpath)
		f.files[newpath] = ff
	}
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
	name string // guarded by fs.mu
}

func (f *faultFile) path() string {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	return f.name
}

func (f *faultFile) WriteAt(b []byte, off int64) (int, error) {
	if err := f.fs.check("write", f.path()); err != nil {
		return 0, err
	}
	return f.File.WriteAt(b, off)
}

func (f *faultFile) Sync() error {
	if err := f.fs.check("sync", f.path()); err != nil {
		return err
	}
	f.fs.fileSyncs.Add(1)
	if f.fs.holdSyncs.Load() {
		f.fs.syncStarted <- struct{}{}
		<-f.fs.syncRelease
	}
	return f.File.Sync()
}
