//go:build !unix

package enginelock

import (
	"errors"
	"os"
)

var errWouldBlock = errors.New("lock held")

// tryLock is not implemented on this platform yet (Windows: LockFileEx,
// with the Windows build): every process gets the lock.
func tryLock(*os.File) error { return nil }

func unlock(*os.File) error { return nil }
