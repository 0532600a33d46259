package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/myblog/apikit/auth"
	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/requestid"
	"github.com/myblog/apikit/timezone"
)

// createExport is POST /exports: the user's posts, exported as JSON in the
// background. 202 with the task body {"job_id": "..."} and the job's
// Location.
func (a *api) createExport(w http.ResponseWriter, r *http.Request) {
	id, _ := auth.FromContext(r.Context())
	j := &job{ID: requestid.NewUUID(), OwnerID: id.Subject, Kind: "export", CreatedAt: time.Now()}
	if err := a.store.createJob(r.Context(), j); err != nil {
		a.errors.WriteJobError(w, r, apierrors.Internal(err))
		return
	}
	a.wakeJobs()
	a.render.Accepted(w, r, j.ID, a.baseURL(r)+"/jobs/"+j.ID)
}

// loadJob finds {job_id} for its owner; anyone else gets the 404 of a job
// that does not exist.
func (a *api) loadJob(w http.ResponseWriter, r *http.Request) (*job, bool) {
	j, err := a.store.jobByID(r.Context(), r.PathValue("job_id"))
	if err != nil {
		a.writeStoreError(w, r, "Job", err)
		return nil, false
	}
	id, _ := auth.FromContext(r.Context())
	if j.OwnerID != id.Subject {
		a.errors.Write(w, r, apierrors.NotFound())
		return nil, false
	}
	return j, true
}

// getJob is GET /jobs/{job_id}: its state, and its result_url once done.
func (a *api) getJob(w http.ResponseWriter, r *http.Request) {
	j, ok := a.loadJob(w, r)
	if !ok {
		return
	}
	if j.State == "queued" || j.State == "running" {
		// GitHub's hint for clients that poll.
		w.Header().Set("X-Poll-Interval", "1")
		w.Header().Set("Cache-Control", "no-cache")
	}
	a.render.JSON(w, r, http.StatusOK, a.jobRepr(a.baseURL(r), j))
}

// getJobResult is GET /jobs/{job_id}/result: the export, once it
// succeeded; 404 before.
func (a *api) getJobResult(w http.ResponseWriter, r *http.Request) {
	j, ok := a.loadJob(w, r)
	if !ok {
		return
	}
	if j.State != "succeeded" || !j.Result.Valid {
		a.errors.Write(w, r, apierrors.NotFound())
		return
	}
	a.render.JSON(w, r, http.StatusOK, json.RawMessage(j.Result.String))
}

func (a *api) wakeJobs() {
	select {
	case a.jobs <- struct{}{}:
	default:
	}
}

// runJobs is the export worker: it runs queued jobs one at a time until
// ctx ends. A job interrupted by a stop stays "running" in the database
// and is queued again at the next start.
func (a *api) runJobs(ctx context.Context) {
	poll := time.NewTicker(time.Second)
	defer poll.Stop()
	for {
		for {
			if ctx.Err() != nil {
				return
			}
			j, err := a.store.claimJob(ctx, time.Now())
			if errors.Is(err, errNotFound) {
				break
			}
			if err != nil {
				if ctx.Err() == nil {
					a.logger.Error("blog: claiming a job", "error", err)
				}
				break
			}
			a.runJob(ctx, j)
		}
		select {
		case <-ctx.Done():
			return
		case <-a.jobs:
		case <-poll.C:
		}
	}
}

// exportedPost is one post in an export. Its times are timezone.Time, so
// they read as every other timestamp of the API: ISO 8601 in UTC to the
// second, null when blank.
type exportedPost struct {
	ID          string        `json:"id"`
	Title       string        `json:"title"`
	Body        string        `json:"body"`
	Published   bool          `json:"published"`
	PublishedAt timezone.Time `json:"published_at"`
	TimeZone    string        `json:"time_zone"`
	CreatedAt   timezone.Time `json:"created_at"`
	UpdatedAt   timezone.Time `json:"updated_at"`
}

func (a *api) runJob(ctx context.Context, j *job) {
	posts, err := a.store.allPosts(ctx, j.OwnerID)
	if ctx.Err() != nil {
		return // stopping: left running, queued again at the next start
	}
	var result []byte
	if err == nil {
		out := make([]exportedPost, 0, len(posts))
		for _, p := range posts {
			out = append(out, exportedPost{
				ID: p.ID, Title: p.Title, Body: p.Body, Published: p.Published, TimeZone: p.TimeZone,
				PublishedAt: utcPtr(p.PublishedAt), CreatedAt: utc(p.CreatedAt), UpdatedAt: utc(p.UpdatedAt),
			})
		}
		result, err = json.Marshal(map[string]any{"posts": out})
	}
	failure := ""
	if err != nil {
		a.logger.Error("blog: export failed", "job", j.ID, "error", err)
		failure = "The export failed; request a new one."
	}
	if err := a.store.finishJob(context.WithoutCancel(ctx), j.ID, string(result), failure, time.Now()); err != nil {
		a.logger.Error("blog: finishing a job", "job", j.ID, "error", err)
	}
}
