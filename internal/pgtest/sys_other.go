//go:build !linux

package pgtest

import "syscall"

// sysProcAttr runs a server program as cred (nil: as the test's user).
// Without Linux's parent-death signal, a server outlives a test binary
// that dies without running its cleanups.
func sysProcAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: cred}
}

// roomyTmpfs is false: only Linux's /dev/shm is looked at.
func roomyTmpfs(string) bool { return false }
