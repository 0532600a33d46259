//go:build !linux

package oidctest

import "syscall"

// sysProcAttr is nothing: without Linux's parent-death signal, a provider
// outlives a test binary that dies without running its cleanups.
func sysProcAttr() *syscall.SysProcAttr { return nil }
