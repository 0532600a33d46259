package ratelimit

import (
	"net/http"
	"time"
)

// Rate is one quota in the Status document, GitHub's shape:
// {"limit": 5000, "used": 4, "remaining": 4996, "reset": 1372700873, "resource": "core"}.
type Rate struct {
	Limit     int    `json:"limit"`
	Used      int    `json:"used"`
	Remaining int    `json:"remaining"`
	Reset     int64  `json:"reset"`
	Resource  string `json:"resource"`
}

// Limits is the Status document: every resource's quota for the caller,
// and "rate", the core quota again, as GitHub's /rate_limit answers.
type Limits struct {
	Resources map[string]Rate `json:"resources"`
	Rate      Rate            `json:"rate"`
}

// Limits returns the caller's quotas without counting anything. A
// refusal of the caller (a wrong client secret) is an *apierrors.Error.
func (l *Limiter) Limits(r *http.Request) (*Limits, error) {
	caller, refusal := l.callerOf(r, l.resourceFor(r))
	if refusal != nil {
		return nil, refusal
	}
	return l.limits(r, caller)
}

func (l *Limiter) limits(r *http.Request, caller Caller) (*Limits, error) {
	now := l.now()
	out := &Limits{Resources: make(map[string]Rate, len(l.ordered))}
	for _, res := range l.ordered {
		usage, used, err := l.peek(r, Key{Resource: res.Name, Caller: caller}, res, now)
		if err != nil {
			return nil, err
		}
		limit := used.limit(caller.Kind)
		out.Resources[res.Name] = Rate{
			Limit:     limit,
			Used:      usage.Used,
			Remaining: max(limit-usage.Used, 0),
			Reset:     resetSeconds(usage.Reset),
			Resource:  res.Name,
		}
	}
	out.Rate = out.Resources[l.core.Name]
	return out, nil
}

// Status answers GET with the caller's quotas in GitHub's /rate_limit
// shape. Mount it at Config.StatusPath: requests there are not counted.
// Its refusals go through Config.OnError as the middleware's do; a store
// that fails is a 503 with Retry-After, logged at Error.
func (l *Limiter) Status() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		caller, refusal := l.callerOf(r, l.resourceFor(r))
		if refusal != nil {
			l.refuse(w, r, refusal)
			return
		}
		limits, err := l.limits(r, caller)
		if err != nil {
			l.unavailable(w, r, err)
			return
		}
		// The figures change with every request the caller makes.
		w.Header().Set("Cache-Control", "no-cache")
		l.render.JSON(w, r, http.StatusOK, limits)
	})
}

// resetSeconds is the epoch second at which a window that closes at reset
// is whole again: rounded up, so a client waiting until then is never early.
func resetSeconds(reset time.Time) int64 {
	s := reset.Unix()
	if reset.Nanosecond() != 0 {
		s++
	}
	return s
}
