package pgtest

import (
	"cmp"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// debianDirs is where Debian's postgresql packages install the programs,
// one directory a major version.
var debianDirs = "/usr/lib/postgresql/*/bin"

// lookPath finds initdb, postgres and psql of one installation, failing
// the test under CI=true when there is none and skipping it elsewhere.
func lookPath(t testing.TB) *install {
	t.Helper()
	if pg := fromPath(); pg != nil {
		return pg
	}
	if pg := fromDebian(); pg != nil {
		return pg
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("PostgreSQL not found: .ci/run installs Debian's postgresql package (apt-get install -y postgresql)")
	}
	t.Skip("PostgreSQL not found; install it to run the PostgreSQL tests (Debian: apt-get install postgresql)")
	return nil
}

// fromPath takes initdb from PATH, and postgres and psql from its
// directory, its symlinks resolved, when they are there: the same version,
// and not Debian's /usr/bin/psql, a Perl wrapper that costs some 30 ms a
// call. Else it takes all three from PATH; nil when one is missing.
func fromPath() *install {
	initdb, err := exec.LookPath("initdb")
	if err != nil {
		return nil
	}
	if real, err := filepath.EvalSymlinks(initdb); err == nil {
		if pg := inDir(filepath.Dir(real)); pg != nil {
			return pg
		}
	}
	postgres, err := exec.LookPath("postgres")
	if err != nil {
		return nil
	}
	psql, err := exec.LookPath("psql")
	if err != nil {
		return nil
	}
	return &install{initdb: initdb, postgres: postgres, psql: psql}
}

// fromDebian takes the highest-numbered of debianDirs that holds all three
// programs (a newer client package alone brings psql without initdb).
func fromDebian() *install {
	dirs, _ := filepath.Glob(debianDirs)
	version := func(dir string) string { return filepath.Base(filepath.Dir(dir)) }
	slices.SortFunc(dirs, func(a, b string) int { return compareVersions(version(b), version(a)) })
	for _, dir := range dirs {
		if pg := inDir(dir); pg != nil {
			return pg
		}
	}
	return nil
}

// inDir is the installation in dir, or nil when a program is missing.
func inDir(dir string) *install {
	pg := &install{
		initdb:   filepath.Join(dir, "initdb"),
		postgres: filepath.Join(dir, "postgres"),
		psql:     filepath.Join(dir, "psql"),
	}
	for _, path := range []string{pg.initdb, pg.postgres, pg.psql} {
		info, err := os.Stat(path)
		if err != nil || info.IsDir() || info.Mode()&0o111 == 0 {
			return nil
		}
	}
	return pg
}

// compareVersions orders versions such as "9.6", "15" and "16" by their
// numbers, a part that is not a number counting as 0.
func compareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := range max(len(as), len(bs)) {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if c := cmp.Compare(x, y); c != 0 {
			return c
		}
	}
	return cmp.Compare(a, b)
}
