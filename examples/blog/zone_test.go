package main

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/myblog/apikit/auth"
)

// An instance believes its copy of a user's zone for zoneCacheTTL: a
// change made through another instance sharing the database is seen once
// the copy is older than that, never later.
func TestZoneCacheAcrossInstances(t *testing.T) {
	db := testDB(t)
	var first, second *app
	one := e2eStartApp(t, func(c *config) { c.db = db }, &first)
	e2eStartApp(t, func(c *config) { c.db = db }, &second)
	u := one.signUp(t, "ann")
	resp := one.do(t, e2eReq{method: "PATCH", path: "/user", token: u.token, body: map[string]string{"time_zone": "Asia/Tokyo"}})
	require.Equal(t, 200, resp.status, "%s", resp)

	r := httptest.NewRequest("GET", "/", nil)
	r = r.WithContext(auth.WithIdentity(context.Background(), auth.Identity{Subject: u.id}))
	tests := []struct {
		name   string
		cached *cachedZone // the second instance's copy, before it answers
		want   string
	}{
		{"no copy: read from the database", nil, "Asia/Tokyo"},
		{"a copy within the TTL is believed", &cachedZone{zone: "Europe/Paris", at: time.Now().Add(-zoneCacheTTL + time.Second)}, "Europe/Paris"},
		{"a copy past the TTL is read again", &cachedZone{zone: "Europe/Paris", at: time.Now().Add(-zoneCacheTTL)}, "Asia/Tokyo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			second.api.zones.Delete(u.id)
			if tt.cached != nil {
				second.api.zones.Store(u.id, *tt.cached)
			}
			zone, err := second.api.userZone(r)
			require.NoError(t, err)
			assert.Equal(t, tt.want, zone)
		})
	}

	t.Run("a header remembered over a stale copy is written", func(t *testing.T) {
		second.api.zones.Store(u.id, cachedZone{zone: "America/New_York", at: time.Now().Add(-zoneCacheTTL)})
		second.api.rememberZone(r, "America/New_York") // the copy agrees, but is stale: the database says Tokyo
		got, err := first.api.store.userByID(context.Background(), u.id)
		require.NoError(t, err)
		assert.Equal(t, "America/New_York", got.TimeZone.String)
	})
}
