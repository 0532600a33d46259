// provider.mjs runs panva's oidc-provider for internal/oidctest: an
// OpenID provider on 127.0.0.1 only, whose issuer is
// http://127.0.0.1:PORT, with one client allowed the client_credentials
// grant and the resource servers of the configuration, each issuing JWT
// access tokens signed with its algorithm by a key of the keys file.
//
//	node provider.mjs --port PORT --config CONFIG.json
//
// CONFIG.json, written by oidctest.Start:
//
//	{"keysFile": "keys.json", "clientId": "...", "clientSecret": "...",
//	 "resources": [{"audience": "https://api.example", "scope": "a b", "alg": "RS256"}]}
//
// (the resource indicator and the audience of a resource server are one
// value).
//
// keysFile is a JWK Set with the private parts. The first resource is
// the default one, for token requests without a resource parameter.
//
// Every request is logged to stdout when it arrives, synchronously, one
// line each: "request METHOD PATH", which oidctest counts; its answer
// follows as "answer METHOD PATH STATUS". So by the time a client has
// read an answer, its request is in the log.
//
// POST /_oidctest/reload reads keysFile again and swaps in a new
// provider with those keys, on the same listening socket: a key rotation
// without a new port. It answers 204, or 500 with the error, and leaves
// the old provider serving on an error. It is a test-only endpoint: the
// process listens on loopback only.
//
// The process exits with status 98 when the port is taken (oidctest
// then tries another), and 1 on any other failure to start.
import * as fs from 'node:fs';
import * as http from 'node:http';
import { parseArgs } from 'node:util';

import Provider, { errors } from 'oidc-provider';

const { values: args } = parseArgs({
  options: { port: { type: 'string' }, config: { type: 'string' } },
});
const port = Number(args.port);
if (!Number.isInteger(port) || port <= 0 || port > 65535 || !args.config) {
  console.error('usage: node provider.mjs --port PORT --config CONFIG.json');
  process.exit(2);
}
const config = JSON.parse(fs.readFileSync(args.config, 'utf8'));
const issuer = `http://127.0.0.1:${port}`;

const log = (line) => fs.writeSync(1, `${line}\n`);

// signingAlg is an algorithm the key signs with.
function signingAlg(jwk) {
  switch (jwk.kty) {
    case 'RSA': return 'RS256';
    case 'EC': return { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' }[jwk.crv];
    case 'OKP': return 'EdDSA';
    default: return undefined;
  }
}

// newProvider builds a provider with the keys keysFile holds now.
function newProvider() {
  const jwks = JSON.parse(fs.readFileSync(config.keysFile, 'utf8'));
  const resources = new Map(config.resources.map((r) => [r.audience, r]));
  const provider = new Provider(issuer, {
    jwks,
    clients: [{
      client_id: config.clientId,
      client_secret: config.clientSecret,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      // The secret in the form: client_secret_basic would need the id
      // and secret form-encoded before base64 (RFC 6749 §2.3.1).
      token_endpoint_auth_method: 'client_secret_post',
      // The client never gets an ID token, but the provider checks that
      // it could sign one with the keys (RS256 by default, which a set
      // without an RSA key refuses).
      id_token_signed_response_alg: signingAlg(jwks.keys?.[0] ?? {}),
    }],
    // Fixed test values: no cookie is ever set by a client_credentials
    // grant, but the provider warns without them.
    cookies: { keys: ['oidctest-cookie-key'] },
    // A token lives 10 minutes, its resource server's accessTokenTTL.
    ttl: { ClientCredentials: (ctx, token) => token.resourceServer?.accessTokenTTL ?? 600 },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => config.resources[0].audience,
        useGrantedResource: () => true,
        getResourceServerInfo: (ctx, indicator) => {
          const r = resources.get(indicator);
          if (!r) {
            throw new errors.InvalidTarget(`unknown resource ${indicator}`);
          }
          return {
            scope: r.scope,
            audience: r.audience,
            accessTokenFormat: 'jwt',
            accessTokenTTL: 600,
            jwt: { sign: { alg: r.alg } },
          };
        },
      },
    },
  });
  provider.on('server_error', (ctx, err) => log(`server_error ${ctx.method} ${ctx.path}: ${err.stack}`));
  provider.on('grant.error', (ctx, err) => log(`grant.error: ${err.message} ${err.error_description ?? ''}`));
  log(`keys ${jwks.keys.map((k) => k.kid).join(',')}`);
  return provider;
}

let current = newProvider().callback();

const server = http.createServer((req, res) => {
  let path = req.url;
  try {
    path = new URL(req.url, issuer).pathname;
  } catch {
    // not a URL: logged as it came, and the provider answers it
  }
  log(`request ${req.method} ${path}`);
  res.on('finish', () => log(`answer ${req.method} ${path} ${res.statusCode}`));
  if (path === '/_oidctest/reload' && req.method === 'POST') {
    try {
      current = newProvider().callback();
      res.writeHead(204).end();
    } catch (err) {
      log(`reload: ${err.stack}`);
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err));
    }
    return;
  }
  current(req, res);
});
server.on('error', (err) => {
  log(`listen: ${err.message}`);
  process.exit(err.code === 'EADDRINUSE' ? 98 : 1);
});
server.listen(port, '127.0.0.1', () => log(`listening ${issuer}`));
