package main

import (
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/myblog/apikit/forwarded"
)

// The flags that configure the one forwarded.Resolver: which proxies are
// trusted, the one header they name the client in, whether their scheme
// is believed, and the hosts absolute URLs may name.
func TestParseConfigForwarding(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    forwarded.Config
		wantErr string
	}{
		{name: "defaults: no proxy, absolute URLs from the connection's address",
			want: forwarded.Config{HostFromLocalAddr: true}},
		{name: "flags", args: []string{"-trusted-proxies", "10.0.0.0/8, ::1", "-proxy-header", "x-real-ip", "-proxy-proto", "-hosts", "api.myblog.com, localhost:8080,"},
			want: forwarded.Config{TrustedProxies: []string{"10.0.0.0/8", "::1"}, Header: forwarded.XRealIP, TrustProto: true, Hosts: []string{"api.myblog.com", "localhost:8080"}}},
		{name: "environment", env: map[string]string{"BLOG_TRUSTED_PROXIES": "10.0.0.5", "BLOG_PROXY_HEADER": "Forwarded", "BLOG_PROXY_PROTO": "true", "BLOG_HOSTS": "api.myblog.com"},
			want: forwarded.Config{TrustedProxies: []string{"10.0.0.5"}, Header: forwarded.Forwarded, TrustProto: true, Hosts: []string{"api.myblog.com"}}},
		{name: "a flag wins over its variable", args: []string{"-hosts", "www.myblog.com"}, env: map[string]string{"BLOG_HOSTS": "api.myblog.com"},
			want: forwarded.Config{Hosts: []string{"www.myblog.com"}}},
		{name: "-trusted-proxies with -base-url", args: []string{"-trusted-proxies", "10.0.0.0/8", "-base-url", "https://api.myblog.com"},
			want: forwarded.Config{TrustedProxies: []string{"10.0.0.0/8"}, HostFromLocalAddr: true}},

		{name: "-trusted-proxies alone", args: []string{"-trusted-proxies", "10.0.0.0/8"},
			wantErr: "-trusted-proxies: needs -base-url or -hosts, since behind a proxy the address a connection arrives on is not the one clients use"},
		{name: "a proxy that is no address", args: []string{"-trusted-proxies", "10.0.0.0/8,lb.internal", "-hosts", "api.myblog.com"},
			wantErr: `-trusted-proxies: "lb.internal" is not an IP address or CIDR`},
		{name: "trusting everyone", args: []string{"-trusted-proxies", "0.0.0.0/0", "-hosts", "api.myblog.com"},
			wantErr: `-trusted-proxies: "0.0.0.0/0" trusts every address, so any client could choose its own`},
		{name: "a URL for a host", args: []string{"-hosts", "https://api.myblog.com"},
			wantErr: `-hosts: "https://api.myblog.com" is not a host[:port]`},
		{name: "an unknown header", args: []string{"-proxy-header", "X-Client-IP"},
			wantErr: `invalid value "X-Client-IP" for flag -proxy-header: want X-Forwarded-For, Forwarded or X-Real-IP`},
		{name: "an unknown header in the environment", env: map[string]string{"BLOG_PROXY_HEADER": "True-Client-IP"},
			wantErr: `BLOG_PROXY_HEADER="True-Client-IP": want X-Forwarded-For, Forwarded or X-Real-IP`},
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
			assert.Equal(t, tt.want, cfg.forwarded())
		})
	}
}

func TestParseConfigJoinsForwardingProblems(t *testing.T) {
	_, err := parseConfig([]string{"-trusted-proxies", "lb.internal", "-hosts", "api.myblog.com/v3,ok.example"}, func(string) string { return "" }, io.Discard)
	require.Error(t, err)
	assert.Equal(t, `-trusted-proxies: "lb.internal" is not an IP address or CIDR`+"\n"+`-hosts: "api.myblog.com/v3" is not a host[:port]`, err.Error())
}

// -h lists the new flags with their variables, and -trusted-proxies says
// what the proxy must write and what is ignored.
func TestHelpForwarding(t *testing.T) {
	var out strings.Builder
	_, _ = parseConfig([]string{"-h"}, func(string) string { return "" }, &out)
	for _, line := range []string{
		"  -hosts (BLOG_HOSTS)",
		"  -proxy-header (BLOG_PROXY_HEADER)",
		"  -proxy-proto (BLOG_PROXY_PROTO)",
		"  -trusted-proxies (BLOG_TRUSTED_PROXIES)",
		"proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
		"Forwarded (nginx passes a client's on)",
		"(default X-Forwarded-For)",
		"never a Host header",
	} {
		assert.Contains(t, out.String(), line)
	}
	assert.NotContains(t, out.String(), "(default false)")
}

func TestConfigStringForwarding(t *testing.T) {
	cfg, err := parseConfig([]string{"-trusted-proxies", "10.0.0.0/8", "-hosts", "api.myblog.com", "-proxy-proto"}, func(string) string { return "" }, io.Discard)
	require.NoError(t, err)
	assert.Contains(t, cfg.String(), ` trusted-proxies="10.0.0.0/8" proxy-header=X-Forwarded-For proxy-proto=true hosts="api.myblog.com"`)
}
