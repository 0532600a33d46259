package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/myblog/apikit/internal/nginxtest"
	"github.com/myblog/apikit/internal/redistest"
)

// Two instances of the example behind nginx (round robin), sharing a
// 3-master Redis Cluster, one -jwt-secret and one database file: each
// client gets exactly its anonymous quota however nginx spreads it, the
// login lockout is one for both, and a refresh token presented again on
// the other instance is caught and its family revoked.
func TestTwoInstancesBehindNginxOnACluster(t *testing.T) {
	cluster := redistest.StartCluster(t, 3, 0)
	const quota, maxFailures = 30, 5
	dbPath := filepath.Join(t.TempDir(), "blog.db")
	var instances [2]*e2eBlog
	for i := range instances { // one after the other: the first migrates the database
		instances[i] = e2eStartApp(t, func(c *config) {
			c.db = dbPath
			c.redisURL = "redis+cluster://" + strings.Join(cluster.Addrs, ",")
			c.instances = 2
			c.jwtSecret = strings.Repeat("shared secret ", 3)
			c.rateLimitAnonymous = quota
			c.loginMaxFailures = maxFailures
			c.trustedProxies = "127.0.0.1"
			c.hosts = "127.0.0.1"
		}, nil)
	}
	proxy := nginxtest.Start(t, instances[0].url, instances[1].url)

	send := func(client *http.Client, method, url, token string, body any) (int, http.Header, []byte) {
		t.Helper()
		return sendJSON(t, client, method, url, token, body)
	}

	t.Run("each client exactly its anonymous quota", func(t *testing.T) {
		clients := []*http.Client{nginxtest.ClientFrom(t, "127.0.0.2"), nginxtest.ClientFrom(t, "127.0.0.3"), nginxtest.ClientFrom(t, "127.0.0.4")}
		var mu sync.Mutex
		admitted := make([]int, len(clients))
		var wg sync.WaitGroup
		for c, client := range clients {
			for range 4 {
				wg.Go(func() {
					for range quota / 2 {
						status, _, _ := send(client, "GET", proxy.URL+"/", "", nil)
						if status == http.StatusOK {
							mu.Lock()
							admitted[c]++
							mu.Unlock()
						}
					}
				})
			}
		}
		wg.Wait()
		assert.Equal(t, []int{quota, quota, quota}, admitted, "2× the quota sent by each client, spread over both instances")
	})

	// Sign-ups and logins come from a client of their own, whose quota
	// the previous test did not spend.
	client := nginxtest.ClientFrom(t, "127.0.0.5")
	status, _, body := send(client, "POST", proxy.URL+"/users", "", map[string]string{"username": "alice", "email": "alice@example.com", "password": "correct horse"})
	require.Equal(t, http.StatusCreated, status, "%s", body)

	t.Run("one lockout for both instances", func(t *testing.T) {
		attacker := nginxtest.ClientFrom(t, "127.0.0.6")
		statuses := map[int]int{}
		for range 3 * maxFailures {
			status, _, _ := send(attacker, "POST", proxy.URL+"/login", "", map[string]string{"username": "alice", "password": "wrong"})
			statuses[status]++
		}
		assert.Equal(t, map[int]int{http.StatusUnauthorized: maxFailures, http.StatusForbidden: 2 * maxFailures}, statuses)
		status, _, _ := send(client, "POST", instances[1].url+"/login", "", map[string]string{"username": "alice", "password": "correct horse"})
		assert.Equal(t, http.StatusForbidden, status, "the account is locked on the other instance too")
	})

	t.Run("a refresh token reused on the other instance revokes the family", func(t *testing.T) {
		// A second account: alice is locked out.
		status, _, body := send(client, "POST", proxy.URL+"/users", "", map[string]string{"username": "bob", "email": "bob@example.com", "password": "battery staple"})
		require.Equal(t, http.StatusCreated, status, "%s", body)
		status, _, body = send(client, "POST", instances[0].url+"/login", "", map[string]string{"username": "bob", "password": "battery staple"})
		require.Equal(t, http.StatusOK, status, "%s", body)
		first := decodePair(t, body)
		status, _, body = send(client, "PATCH", instances[0].url+"/authorizations/refresh-tokens", first.RefreshToken, nil)
		require.Equal(t, http.StatusOK, status, "%s", body)
		second := decodePair(t, body)

		status, _, _ = send(client, "GET", instances[1].url+"/user", second.Token, nil)
		assert.Equal(t, http.StatusOK, status, "a token of one instance works on the other")
		status, _, _ = send(client, "PATCH", instances[1].url+"/authorizations/refresh-tokens", first.RefreshToken, nil)
		assert.Equal(t, http.StatusUnauthorized, status, "the old refresh token, presented again on the other instance")
		status, _, _ = send(client, "PATCH", instances[0].url+"/authorizations/refresh-tokens", second.RefreshToken, nil)
		assert.Equal(t, http.StatusUnauthorized, status, "the whole family is revoked")
	})

	t.Run("healthz names Redis", func(t *testing.T) {
		status, _, body := send(client, "GET", proxy.URL+"/healthz", "", nil)
		assert.Equal(t, http.StatusOK, status)
		assert.Contains(t, string(body), `"redis":"ok"`)
	})
}

// sendJSON sends a request to a live server (body, when not nil, as
// JSON; token as a Bearer token) and returns the status, the header and
// the whole body.
func sendJSON(t testing.TB, client *http.Client, method, url, token string, body any) (int, http.Header, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	require.NoError(t, err)
	req.Header.Set("User-Agent", "apikit-cluster-test")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header, data
}

// decodePair decodes a login or refresh answer, bare or in the envelope.
func decodePair(t *testing.T, body []byte) tokenPair {
	t.Helper()
	var wrapped struct {
		Data tokenPair `json:"data"`
	}
	require.NoError(t, json.Unmarshal(body, &wrapped), "%s", body)
	if wrapped.Data.Token != "" {
		return wrapped.Data
	}
	var bare tokenPair
	require.NoError(t, json.Unmarshal(body, &bare))
	require.NotEmpty(t, bare.Token, "%s", body)
	return bare
}

// With -redis pointing at a Redis that does not answer, the server
// refuses to start, saying how to start anyway; with -redis-degraded it
// starts, /healthz is 503 naming Redis, logins are 503 with Retry-After
// and the JSON error (never 500), reads go on under the local limits;
// when Redis answers, all is back within seconds.
func TestRedisDownAtStartUp(t *testing.T) {
	srv := redistest.Start(t)
	srv.Pause()
	url := "redis://" + srv.Addr + "/0"
	cfg := config{db: filepath.Join(t.TempDir(), "blog.db"), envelope: true, rateLimit: 5000, rateLimitAnonymous: 60, loginMaxFailures: 10, instances: 1, redisURL: url, bcryptCost: bcrypt.MinCost}
	_, err := newApp(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "-redis: redisstore:")
	assert.Contains(t, err.Error(), "start anyway with -redis-degraded")

	blog := e2eStartApp(t, func(c *config) {
		c.redisURL = url
		c.redisDegraded = true
		c.rateLimitAnonymous = 60
	}, nil)
	client := blog.client
	get := func(path string) (int, http.Header, string) {
		req, err := http.NewRequest("GET", blog.url+path, nil)
		require.NoError(t, err)
		req.Header.Set("User-Agent", "apikit-test")
		resp, err := client.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(body)
	}
	status, header, body := get("/healthz")
	assert.Equal(t, http.StatusServiceUnavailable, status, body)
	assert.Contains(t, body, `"redis":"down since `)
	assert.Contains(t, body, "redis down")
	assert.Equal(t, "5", header.Get("Retry-After"))

	status, header, _ = get("/")
	assert.Equal(t, http.StatusOK, status, "reads go on")
	assert.Equal(t, "60", header.Get("X-RateLimit-Limit"), "under this instance's share (one instance: all of it)")

	send := func(method, path, token, body string) (int, http.Header, string) {
		req, err := http.NewRequest(method, blog.url+path, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("User-Agent", "apikit-test")
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := client.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(data)
	}
	unavailable := func(what string, status int, header http.Header, body string) {
		t.Helper()
		assert.Equal(t, http.StatusServiceUnavailable, status, "%s: %s", what, body)
		assert.NotEmpty(t, header.Get("Retry-After"), what)
		assert.Contains(t, body, `"message"`, what)
	}
	status, header, body = send("POST", "/login", "", `{"username":"alice","password":"whatever it is"}`)
	unavailable("a login while Redis is down", status, header, body)

	srv.Resume()
	require.Eventually(t, func() bool {
		status, _, _ := get("/healthz")
		return status == http.StatusOK
	}, 5*time.Second, 20*time.Millisecond, "healthy again once Redis answers")

	// A session opened while Redis is up, then Redis hangs: refreshing
	// and logging out are 503s too.
	status, _, body = send("POST", "/users", "", `{"username":"alice","email":"alice@example.com","password":"correct horse"}`)
	require.Equal(t, http.StatusCreated, status, body)
	status, _, body = send("POST", "/login", "", `{"username":"alice","password":"correct horse"}`)
	require.Equal(t, http.StatusOK, status, body)
	pair := decodePair(t, []byte(body))
	srv.Pause()
	status, header, body = send("PATCH", "/authorizations/refresh-tokens", pair.RefreshToken, "")
	unavailable("a refresh while Redis hangs", status, header, body)
	status, header, body = send("DELETE", "/authorizations/refresh-tokens", pair.RefreshToken, "")
	unavailable("a logout while Redis hangs", status, header, body)
	status, header, body = send("POST", "/login", "", `{"username":"alice","password":"correct horse"}`)
	unavailable("a login while Redis hangs", status, header, body)
	srv.Resume()
}
