// Package atomicfile writes files that appear complete or not at all: the
// data goes to a temporary file beside the target, is synced to disk, and
// only then takes the target's name. A crash, a full disk or a failed
// writer leaves the target as it was and no temporary file behind.
//
// It serves every file pcreconcile writes whole: the report, the sandbox's
// state and a rotated refresh token.
package atomicfile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Write creates or replaces path with what fill writes, with permissions
// perm.
func Write(path string, perm fs.FileMode, fill func(io.Writer) error) error {
	return write(path, perm, true, fill)
}

// Create is Write that never replaces an existing file: if path exists it
// returns an error that wraps fs.ErrExist and leaves path alone.
func Create(path string, perm fs.FileMode, fill func(io.Writer) error) error {
	return write(path, perm, false, fill)
}

func write(path string, perm fs.FileMode, replace bool, fill func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a rename or link: a no-op or the extra name
	// CreateTemp makes the file 0600 whatever the umask; set what is asked.
	err = tmp.Chmod(perm)
	if err == nil {
		err = fill(tmp)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if replace {
		return os.Rename(tmp.Name(), path)
	}
	// A hard link fails if path exists, where a rename would replace it.
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return &fs.PathError{Op: "create", Path: path, Err: fs.ErrExist}
		}
		if _, statErr := os.Stat(path); statErr == nil {
			return &fs.PathError{Op: "create", Path: path, Err: fs.ErrExist}
		}
		return os.Rename(tmp.Name(), path) // a file system without hard links
	}
	return nil
}
