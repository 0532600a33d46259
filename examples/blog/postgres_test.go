package main

// The package's tests on PostgreSQL. TestOnPostgres runs postgresSuite,
// the end-to-end tests and those of the store, again, each on a fresh
// database of one throwaway PostgreSQL server (internal/pgtest) instead
// of a SQLite file: testDB gives a test its database, and under
// TestOnPostgres it is PostgreSQL's. Under CI=true a missing PostgreSQL
// fails; elsewhere TestOnPostgres is skipped, saying what to install.

import (
	"database/sql"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/myblog/apikit/internal/pgtest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.StopShared()
	os.Exit(code)
}

// onPostgres is the name prefix of the tests that TestOnPostgres runs.
const onPostgres = "TestOnPostgres/"

// testDB returns a new, empty database for t, as -db takes it: a SQLite
// file in t's directory, or under TestOnPostgres the URL of a new
// database on the package's PostgreSQL server, dropped when t ends.
// Opening it again (a restart, a second server) finds the same data.
func testDB(t testing.TB) string {
	t.Helper()
	if onPostgresTest(t) {
		return pgtest.Shared(t).CreateDatabase(t)
	}
	return filepath.Join(t.TempDir(), "blog.db")
}

func onPostgresTest(t testing.TB) bool { return strings.HasPrefix(t.Name(), onPostgres) }

// testDirect opens a second, plain connection pool to source (a test's
// database from testDB), for a test that changes the database behind
// the server's back.
func testDirect(t testing.TB, source string) *sql.DB {
	t.Helper()
	driver, dsn := "sqlite", "file:"+source+"?_pragma=busy_timeout(10000)"
	if isPostgresURL(source) {
		driver, dsn = "pgx", source
	}
	db, err := sql.Open(driver, dsn)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// postgresSuite is what TestOnPostgres runs: every TestE2E test of the
// package (TestPostgresSuiteIsComplete checks) and the tests of the store
// whose rules PostgreSQL must keep as SQLite does.
var postgresSuite = []struct {
	name string
	test func(*testing.T)
}{
	{"E2EBlog", TestE2EBlog},
	{"E2ESignUpValidation", TestE2ESignUpValidation},
	{"E2ELogin", TestE2ELogin},
	{"E2ELoginLockout", TestE2ELoginLockout},
	{"E2EPagination", TestE2EPagination},
	{"E2EConditionalRequests", TestE2EConditionalRequests},
	{"E2ELikeRequiresLength", TestE2ELikeRequiresLength},
	{"E2ERateLimits", TestE2ERateLimits},
	{"E2ESecondaryRateLimit", TestE2ESecondaryRateLimit},
	{"E2EHead", TestE2EHead},
	{"E2ENotFoundAndMethodNotAllowed", TestE2ENotFoundAndMethodNotAllowed},
	{"E2EJSONP", TestE2EJSONP},
	{"E2ECORS", TestE2ECORS},
	{"E2EPretty", TestE2EPretty},
	{"E2ETimeZones", TestE2ETimeZones},
	{"E2EMediaTypes", TestE2EMediaTypes},
	{"E2EUserAgent", TestE2EUserAgent},
	{"E2ERequestIDs", TestE2ERequestIDs},
	{"E2ERequestBodies", TestE2ERequestBodies},
	{"E2EUnsupportedMediaType", TestE2EUnsupportedMediaType},
	{"E2EBlankBodyIsNull", TestE2EBlankBodyIsNull},
	{"E2EExportResult", TestE2EExportResult},
	{"E2EExportDownloadCap", TestE2EExportDownloadCap},
	{"E2EExportLarge", TestE2EExportLarge},
	{"E2EExportStoreOutage", TestE2EExportStoreOutage},
	{"E2EDeepPages", TestE2EDeepPages},
	{"E2EPersonalTokens", TestE2EPersonalTokens},
	{"E2ETwoFactor", TestE2ETwoFactor},
	{"E2ESearch", TestE2ESearch},
	{"E2EEvents", TestE2EEvents},
	{"E2ESearchRateLimit", TestE2ESearchRateLimit},
	{"E2ETwoFactorLockout", TestE2ETwoFactorLockout},
	{"E2ETwoFactorSetupFailures", TestE2ETwoFactorSetupFailures},
	{"OTPCodeUsedOnce", TestOTPCodeUsedOnce},
	{"GoGitHubTwoFactor", TestGoGitHubTwoFactor},
	{"WriteExport", TestWriteExport},
	{"RecordExport", TestRecordExport},
	{"ExportRetention", TestExportRetention},
	{"CreateJobOneQueuedPerUser", TestCreateJobOneQueuedPerUser},
	{"JobLeases", TestJobLeases},
	{"ReleasedJobIsClaimedAtOnce", TestReleasedJobIsClaimedAtOnce},
	{"EachJobClaimedOnce", TestEachJobClaimedOnce},
	{"UniqueViolation", TestUniqueViolation},
	{"SessionsConformance", TestSessionsConformance},
	{"Counts", TestCounts},
	{"ServersMigratingTogether", serversMigratingTogether},
	{"ZoneCacheAcrossInstances", TestZoneCacheAcrossInstances},
	{"GoGitHubRateAndPages", TestGoGitHubRateAndPages},
	{"GoGitHubErrors", TestGoGitHubErrors},
	{"GoGitHubTypedUsers", TestGoGitHubTypedUsers},
	{"TokenOfAnUnknownUserIs401", TestTokenOfAnUnknownUserIs401},
	{"PostsPerUserCap", TestPostsPerUserCap},
}

func TestOnPostgres(t *testing.T) {
	pgtest.Shared(t) // one skip (or, under CI=true, one failure) for the lot
	for _, tt := range postgresSuite {
		t.Run(tt.name, tt.test)
	}
}

// Every end-to-end test runs on PostgreSQL too: a TestE2E function
// missing from postgresSuite fails here.
func TestPostgresSuiteIsComplete(t *testing.T) {
	files, err := filepath.Glob("*_test.go")
	require.NoError(t, err)
	var e2e []string
	for _, name := range files {
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.SkipObjectResolution)
		require.NoError(t, err)
		for _, d := range f.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil && strings.HasPrefix(fn.Name.Name, "TestE2E") {
				e2e = append(e2e, strings.TrimPrefix(fn.Name.Name, "Test"))
			}
		}
	}
	require.NotEmpty(t, e2e)
	var suite []string
	for _, tt := range postgresSuite {
		suite = append(suite, tt.name)
	}
	for _, name := range e2e {
		assert.True(t, slices.Contains(suite, name), "%s is not in postgresSuite", name)
	}
}
