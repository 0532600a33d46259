package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newTestServer(t *testing.T, cfg config) *httptest.Server {
	t.Helper()
	if cfg.db == "" {
		cfg.db = ":memory:"
	}
	if cfg.rateLimit == 0 {
		cfg.rateLimit, cfg.rateLimitAnonymous, cfg.loginMaxFailures = 5000, 60, 10
	}
	app, err := newApp(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	t.Cleanup(app.Close)
	srv := httptest.NewServer(app.handler)
	t.Cleanup(srv.Close)
	return srv
}

func TestRoutes(t *testing.T) {
	tests := []struct {
		name       string
		cfg        config
		method     string
		path       string
		wantStatus int
		wantBody   string // %s is the server's URL
		wantHeader http.Header
	}{
		{
			name: "root in the envelope", cfg: config{envelope: true}, method: http.MethodGet, path: "/",
			wantStatus: 200,
			wantBody:   `{"data":{"name":"myblog","version":"v3","url":"%s/","documentation_url":"https://developer.myblog.com/v3","current_user_url":"%s/user","user_url":"%s/users/{username}","user_posts_url":"%s/users/{username}/posts{?page,per_page}","sign_up_url":"%s/users","login_url":"%s/login","refresh_tokens_url":"%s/authorizations/refresh-tokens","authorizations_url":"%s/authorizations","two_factor_url":"%s/user/two_factor","post_search_url":"%s/search/posts?q={query}{\u0026page,per_page,sort,order}","events_url":"%s/events{?page,per_page}","user_events_url":"%s/users/{username}/events{?page,per_page}","posts_url":"%s/posts{?page,per_page}","post_url":"%s/posts/{id}","post_like_url":"%s/posts/{id}/like","post_comments_url":"%s/posts/{id}/comments{?page,per_page}","exports_url":"%s/exports","job_url":"%s/jobs/{job_id}","rate_limit_url":"%s/rate_limit"},"code":"200","msg":"SUCCESS"}`,
		},
		{
			name: "root bare with -envelope=false", cfg: config{}, method: http.MethodGet, path: "/",
			wantStatus: 200,
			wantBody:   `{"name":"myblog","version":"v3","url":"%s/","documentation_url":"https://developer.myblog.com/v3","current_user_url":"%s/user","user_url":"%s/users/{username}","user_posts_url":"%s/users/{username}/posts{?page,per_page}","sign_up_url":"%s/users","login_url":"%s/login","refresh_tokens_url":"%s/authorizations/refresh-tokens","authorizations_url":"%s/authorizations","two_factor_url":"%s/user/two_factor","post_search_url":"%s/search/posts?q={query}{\u0026page,per_page,sort,order}","events_url":"%s/events{?page,per_page}","user_events_url":"%s/users/{username}/events{?page,per_page}","posts_url":"%s/posts{?page,per_page}","post_url":"%s/posts/{id}","post_like_url":"%s/posts/{id}/like","post_comments_url":"%s/posts/{id}/comments{?page,per_page}","exports_url":"%s/exports","job_url":"%s/jobs/{job_id}","rate_limit_url":"%s/rate_limit"}`,
		},
		{
			name: "root uses -base-url", cfg: config{baseURL: "https://api.myblog.com"}, method: http.MethodGet, path: "/",
			wantStatus: 200,
			wantBody:   `{"name":"myblog","version":"v3","url":"https://api.myblog.com/","documentation_url":"https://developer.myblog.com/v3","current_user_url":"https://api.myblog.com/user","user_url":"https://api.myblog.com/users/{username}","user_posts_url":"https://api.myblog.com/users/{username}/posts{?page,per_page}","sign_up_url":"https://api.myblog.com/users","login_url":"https://api.myblog.com/login","refresh_tokens_url":"https://api.myblog.com/authorizations/refresh-tokens","authorizations_url":"https://api.myblog.com/authorizations","two_factor_url":"https://api.myblog.com/user/two_factor","post_search_url":"https://api.myblog.com/search/posts?q={query}{\u0026page,per_page,sort,order}","events_url":"https://api.myblog.com/events{?page,per_page}","user_events_url":"https://api.myblog.com/users/{username}/events{?page,per_page}","posts_url":"https://api.myblog.com/posts{?page,per_page}","post_url":"https://api.myblog.com/posts/{id}","post_like_url":"https://api.myblog.com/posts/{id}/like","post_comments_url":"https://api.myblog.com/posts/{id}/comments{?page,per_page}","exports_url":"https://api.myblog.com/exports","job_url":"https://api.myblog.com/jobs/{job_id}","rate_limit_url":"https://api.myblog.com/rate_limit"}`,
		},
		{
			name: "HEAD has the GET's headers and no body", cfg: config{envelope: true}, method: http.MethodHead, path: "/",
			wantStatus: 200, wantBody: "",
		},
		{
			name: "unknown path is a JSON 404 whatever -envelope says", cfg: config{envelope: true}, method: http.MethodGet, path: "/nowhere",
			wantStatus: 404, wantBody: `{"message":"Not Found","documentation_url":"https://developer.myblog.com/v3"}`,
		},
		{
			name: "RFC 9110 §15.5.6: wrong method is a JSON 405 with Allow", cfg: config{}, method: http.MethodPost, path: "/",
			wantStatus: 405, wantBody: `{"message":"Method Not Allowed","documentation_url":"https://developer.myblog.com/v3"}`,
			wantHeader: http.Header{"Allow": {"GET, HEAD"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newTestServer(t, tt.cfg)
			req, err := http.NewRequest(tt.method, srv.URL+tt.path, nil)
			require.NoError(t, err)
			resp, err := srv.Client().Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)

			assert.Equal(t, tt.wantStatus, resp.StatusCode)
			want := strings.ReplaceAll(tt.wantBody, "%s", srv.URL)
			assert.Equal(t, want, string(body))
			assert.Equal(t, "application/json; charset=utf-8", resp.Header.Get("Content-Type"))
			assert.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))
			if tt.method != http.MethodHead {
				assert.Equal(t, fmt.Sprint(len(want)), resp.Header.Get("Content-Length"))
			} else {
				assert.NotEmpty(t, resp.Header.Get("Content-Length"), "HEAD reports the GET's length")
			}
			for k, v := range tt.wantHeader {
				assert.Equal(t, v, resp.Header.Values(k), k)
			}
		})
	}
}

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    config
		wantErr string
	}{
		{name: "defaults", want: config{addr: "127.0.0.1:8080", db: "blog.db", envelope: true, rateLimit: 5000, rateLimitAnonymous: 60, loginMaxFailures: 10, secondaryRetry: time.Minute, pollInterval: time.Minute, instances: 1, jobLease: jobLease}},
		{name: "flags", args: []string{"-addr", ":9000", "-envelope=false", "-base-url", "https://api.myblog.com/", "-db", ":memory:", "-rate-limit", "100", "-rate-limit-anonymous", "10", "-login-max-failures", "3", "-secondary-retry-after", "90s", "-trusted-proxies", "10.0.0.0/8, ::1"},
			want: config{addr: ":9000", db: ":memory:", baseURL: "https://api.myblog.com", rateLimit: 100, rateLimitAnonymous: 10, loginMaxFailures: 3, secondaryRetry: 90 * time.Second, pollInterval: time.Minute, trustedProxies: "10.0.0.0/8, ::1", instances: 1, jobLease: jobLease}},
		{name: "environment", env: map[string]string{"BLOG_ADDR": "127.0.0.1:9001", "BLOG_ENVELOPE": "false", "BLOG_BASE_URL": "http://localhost:9001", "BLOG_REDIS": "redis://localhost:6379/0"},
			want: config{addr: "127.0.0.1:9001", db: "blog.db", baseURL: "http://localhost:9001", rateLimit: 5000, rateLimitAnonymous: 60, loginMaxFailures: 10, secondaryRetry: time.Minute, pollInterval: time.Minute, redisURL: "redis://localhost:6379/0", instances: 1, jobLease: jobLease}},
		{name: "a flag wins over its variable", args: []string{"-addr", ":9002"}, env: map[string]string{"BLOG_ADDR": ":9003", "BLOG_ENVELOPE": "false"},
			want: config{addr: ":9002", db: "blog.db", rateLimit: 5000, rateLimitAnonymous: 60, loginMaxFailures: 10, secondaryRetry: time.Minute, pollInterval: time.Minute, instances: 1, jobLease: jobLease}},
		{name: "short JWT secret", args: []string{"-jwt-secret", "short"}, wantErr: "-jwt-secret: must be at least 32 bytes"},
		{name: "a Cluster and several instances", args: []string{"-redis", "redis+cluster://10.0.0.1:7000,10.0.0.2:7000", "-instances", "3", "-jwt-secret", strings.Repeat("k", 32), "-redis-degraded"},
			want: config{addr: "127.0.0.1:8080", db: "blog.db", envelope: true, rateLimit: 5000, rateLimitAnonymous: 60, loginMaxFailures: 10, secondaryRetry: time.Minute, pollInterval: time.Minute,
				redisURL: "redis+cluster://10.0.0.1:7000,10.0.0.2:7000", instances: 3, jwtSecret: strings.Repeat("k", 32), redisDegraded: true, jobLease: jobLease}},
		{name: "a bad Redis URL, precisely", args: []string{"-redis", "redis://a:6379,b:6379"}, wantErr: "-redis: redisstore: Redis URL: lists 2 hosts: a redis:// URL names one server; use redis+cluster://"},
		{name: "a Sentinel URL without its master", args: []string{"-redis", "redis+sentinel://s1:26379"}, wantErr: "names no master"},
		{name: "several instances without Redis", args: []string{"-instances", "2", "-jwt-secret", strings.Repeat("k", 32)}, wantErr: "-instances: several instances need -redis"},
		{name: "several instances without one secret", args: []string{"-instances", "2", "-redis", "redis://r:6379/0"}, wantErr: "-instances: several instances need one -jwt-secret"},
		{name: "no instance", args: []string{"-instances", "0"}, wantErr: "-instances: must be at least 1"},
		{name: "degraded without Redis", args: []string{"-redis-degraded"}, wantErr: "-redis-degraded: needs -redis"},
		{name: "a secondary Retry-After under a second", args: []string{"-secondary-retry-after", "500ms"}, wantErr: "-secondary-retry-after: must be from 1s to 1h"},
		{name: "zero rate limit", args: []string{"-rate-limit", "0"}, wantErr: "must be at least 1"},
		{name: "bad variable", env: map[string]string{"BLOG_ENVELOPE": "maybe"}, wantErr: `BLOG_ENVELOPE="maybe"`},
		{name: "relative base URL", args: []string{"-base-url", "/api"}, wantErr: `-base-url "/api"`},
		{name: "unknown flag", args: []string{"-nope"}, wantErr: "flag provided but not defined"},
		{name: "stray argument", args: []string{"serve"}, wantErr: "unexpected arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parseConfig(tt.args, func(k string) string { return tt.env[k] }, io.Discard)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, cfg)
		})
	}
}

// -h prints every flag with the variable it falls back to, and is no
// failure: the command exits 0 without an error line.
func TestHelp(t *testing.T) {
	var out strings.Builder
	_, err := parseConfig([]string{"-h"}, func(string) string { return "" }, &out)
	require.ErrorIs(t, err, flag.ErrHelp)
	for _, line := range []string{
		"Usage: blog [flags]",
		"  -addr (BLOG_ADDR)",
		"  -db (BLOG_DB)",
		"  -envelope (BLOG_ENVELOPE)",
		"  -redis (BLOG_REDIS)",
		"  -redis-degraded (BLOG_REDIS_DEGRADED)",
		"  -instances (BLOG_INSTANCES)",
		"  -trusted-proxies (BLOG_TRUSTED_PROXIES)",
		"(default 127.0.0.1:8080)",
	} {
		assert.Contains(t, out.String(), line)
	}
	var stderr strings.Builder
	assert.Equal(t, 0, exitCode(err, &stderr))
	assert.Empty(t, stderr.String())
	assert.Equal(t, 1, exitCode(errors.New("-db: must name a file"), &stderr))
	assert.Equal(t, "blog: -db: must name a file\n", stderr.String())
}

func TestRunServesUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addrs := make(chan net.Addr, 1)
	var logs bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0"}, func(string) string { return "" }, &logs, func(a net.Addr) { addrs <- a })
	}()

	var addr net.Addr
	select {
	case addr = <-addrs:
	case err := <-done:
		t.Fatalf("run returned before listening: %v", err)
	}
	resp, err := http.Get("http://" + addr.String() + "/")
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, string(body), `"code":"200","msg":"SUCCESS"`)

	cancel()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(shutdownGrace + 5*time.Second):
		t.Fatal("run did not return after its context ended")
	}
	assert.Contains(t, logs.String(), "blog: listening")
	assert.Contains(t, logs.String(), "blog: shutting down")
}

func TestRunRefusesBadConfig(t *testing.T) {
	err := run(context.Background(), []string{"-base-url", "ftp://x"}, func(string) string { return "" }, io.Discard, nil)
	assert.ErrorContains(t, err, "-base-url")
}
