package pgtest

import "syscall"

// sysProcAttr runs a server program as cred (nil: as the test's user),
// killed when the test binary dies. Go sets the parent-death signal after
// switching users, which would otherwise clear it.
func sysProcAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGKILL}
}

// roomyTmpfs reports whether dir is on a tmpfs with at least 1 GiB free.
func roomyTmpfs(dir string) bool {
	const tmpfsMagic = 0x01021994
	var fs syscall.Statfs_t
	if err := syscall.Statfs(dir, &fs); err != nil {
		return false
	}
	return fs.Type == tmpfsMagic && uint64(fs.Bavail)*uint64(fs.Bsize) >= 1<<30
}
