//go:build !unix && !windows

package enginelock

import (
	"errors"
	"os"
)

var errWouldBlock = errors.New("lock held")

// tryLock is not implemented on platforms that are neither Unix nor
// Windows (no build targets them): every process gets the lock.
func tryLock(*os.File) error { return nil }

func unlock(*os.File) error { return nil }
