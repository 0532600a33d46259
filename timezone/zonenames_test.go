package timezone_test

import (
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/myblog/apikit/timezone"
	"github.com/myblog/apikit/timezone/internal/zonelist"
)

// The list of accepted names is the toolchain's: regenerated in memory
// from $(go env GOROOT)/lib/time/zoneinfo.zip, it must equal both the
// compiled list and zonenames.go byte for byte, so that a Go upgrade that
// adds or removes a zone fails here until go generate runs.
func TestZoneNamesUpToDate(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command on PATH to find the toolchain's zoneinfo.zip")
	}
	path, err := zonelist.Zip()
	require.NoError(t, err)
	names, err := zonelist.Names(path)
	require.NoError(t, err)
	assert.Equal(t, names, timezone.ZoneNames, "the compiled list is stale: run go generate ./timezone")
	want, err := zonelist.Source(names)
	require.NoError(t, err)
	got, err := os.ReadFile(zonelist.File)
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got), "%s is not what go generate writes: run go generate ./timezone", zonelist.File)
}

// Every listed name loads, under its own name, in the binary's zone data
// (time/tzdata when the OS lacks it), so the list never promises a zone
// the binary cannot give.
func TestEveryListedZoneLoads(t *testing.T) {
	require.Greater(t, len(timezone.ZoneNames), 500, "the tz database has about six hundred names")
	for _, name := range timezone.ZoneNames {
		loc, ok := timezone.Lookup(name)
		if assert.True(t, ok, name) {
			assert.Equal(t, name, loc.String())
		}
	}
	for _, name := range []string{"UTC", "Etc/UTC", "US/Eastern", "Asia/Calcutta", "Europe/Kiev", "Etc/GMT+5"} {
		assert.Contains(t, timezone.ZoneNames, name, "links and Etc names are IANA names clients send")
	}
	assert.Equal(t, len(timezone.ZoneNames), timezone.CachedZones(), "one cache entry per listed name")
}
