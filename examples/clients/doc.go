// Package clients holds tests that point client libraries nobody here
// wrote (google/go-github, and Octokit's conventions) at apikit's
// middlewares and at the example server, to prove that what apikit sends
// is what those clients expect from GitHub. It has no code of its own.
package clients
