// Octokit with its throttling plugin, unmodified, against the example
// server: one write past a secondary limit. The plugin waits the answer's
// Retry-After and retries; this prints what it saw, as JSON, for the Go
// test (examples/blog/octokit_test.go). Arguments: base URL, token.
import { Octokit } from "@octokit/core";
import { throttling } from "@octokit/plugin-throttling";

const [baseUrl, token] = process.argv.slice(2);
const secondary = [];
const primary = [];
const ThrottledOctokit = Octokit.plugin(throttling);
const octokit = new ThrottledOctokit({
  baseUrl,
  auth: token,
  userAgent: "apikit-octokit-test",
  throttle: {
    onSecondaryRateLimit: (retryAfter, options, _octokit, retryCount) => {
      secondary.push({ retryAfter, retryCount, at: Date.now() });
      return retryCount < 1; // once
    },
    onRateLimit: (retryAfter, options, _octokit, retryCount) => {
      primary.push({ retryAfter, retryCount });
      return false;
    },
  },
});

const started = Date.now();
let status = 0;
let error = "";
try {
  const response = await octokit.request("POST /posts", { title: "Past the secondary limit" });
  status = response.status;
} catch (e) {
  status = e.status ?? 0;
  error = String(e.message);
}
console.log(JSON.stringify({ status, error, secondary, primary, elapsedMs: Date.now() - started, startedAt: started }));
