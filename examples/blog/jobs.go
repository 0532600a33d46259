package main

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/myblog/apikit/auth"
	"github.com/myblog/apikit/conditional"
	apierrors "github.com/myblog/apikit/errors"
	"github.com/myblog/apikit/requestid"
)

// createExport is POST /exports: the user's posts, exported as JSON in the
// background. 202 with the task body {"job_id": "..."} and the job's
// Location. A user whose previous export is still queued gets that job
// again (store.createJob); a store outage is a 503 with Retry-After, in
// the task error shape.
func (a *api) createExport(w http.ResponseWriter, r *http.Request) {
	id, _ := auth.FromContext(r.Context())
	j := &job{ID: requestid.NewUUID(), OwnerID: id.Subject, Kind: "export", CreatedAt: time.Now()}
	if err := a.store.createJob(r.Context(), j); err != nil {
		a.errors.WriteJobError(w, r, exportStoreUnavailable(err))
		return
	}
	a.wakeJobs()
	a.render.Accepted(w, r, j.ID, a.baseURL(r)+"/jobs/"+j.ID)
}

// loadJob finds {job_id} for its owner; anyone else gets the 404 of a job
// that does not exist.
func (a *api) loadJob(w http.ResponseWriter, r *http.Request) (*job, bool) {
	j, err := a.store.jobByID(r.Context(), r.PathValue("job_id"))
	switch {
	case errors.Is(err, errNotFound):
		a.errors.Write(w, r, apierrors.NotFound())
		return nil, false
	case err != nil:
		a.errors.Write(w, r, exportStoreUnavailable(err))
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
// succeeded; 404 before. The ETag is the one computed when the export was
// written, so a 304 or 412 is answered before anything is read; then the
// document streams from its chunks (serveExport) under the user's
// download slots.
func (a *api) getJobResult(w http.ResponseWriter, r *http.Request) {
	j, ok := a.loadJob(w, r)
	if !ok {
		return
	}
	if j.State != "succeeded" || !j.ResultETag.Valid || !j.ResultBytes.Valid || j.CompletedAt == nil {
		a.errors.Write(w, r, apierrors.NotFound())
		return
	}
	if !a.cond.Check(w, r, conditional.State{Exists: true, ETag: j.ResultETag.String, LastModified: *j.CompletedAt}) {
		return
	}
	if !exportDownloads.acquire(j.OwnerID) {
		a.errors.Write(w, r, tooManyDownloads())
		return
	}
	defer exportDownloads.release(j.OwnerID)
	a.serveExport(w, r, j)
}

func (a *api) wakeJobs() {
	select {
	case a.jobs <- struct{}{}:
	default:
	}
}

// runJobs is the export worker: it runs queued jobs one at a time until
// ctx ends, and deletes expired jobs every exportSweepInterval. Servers
// sharing the database share the queue: each job is claimed by one of
// them (claimJob), leased and renewed while it runs. A job interrupted by
// a stop goes back in the queue at once; one whose server died is
// claimed again, by any server, once its lease has passed (-job-lease).
func (a *api) runJobs(ctx context.Context) {
	poll := time.NewTicker(time.Second)
	defer poll.Stop()
	var swept time.Time
	for {
		if now := time.Now(); now.Sub(swept) >= exportSweepInterval {
			swept = now
			if _, err := a.store.deleteExpiredJobs(ctx, now.Add(-exportRetention)); err != nil && ctx.Err() == nil {
				a.logger.Error("blog: deleting expired jobs", "error", err)
			}
		}
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

// runJob writes j's export (writeExport), renewing its lease every third
// of it, and records how it ended. A stop puts it back in the queue;
// a lost lease (this server stalled past it, and another claimed the job)
// stops it without a word written.
func (a *api) runJob(ctx context.Context, j *job) {
	jobCtx, cancel := context.WithCancel(ctx)
	var lost atomic.Bool
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		tick := time.NewTicker(a.store.lease / 3)
		defer tick.Stop()
		for {
			select {
			case <-jobCtx.Done():
				return
			case now := <-tick.C:
				if err := a.store.renewJob(jobCtx, j, now.Add(a.store.lease)); errors.Is(err, errLeaseLost) {
					lost.Store(true)
					cancel()
					return
				} else if err != nil && jobCtx.Err() == nil {
					a.logger.Error("blog: renewing a job's lease", "job", j.ID, "error", err)
				}
			}
		}
	}()
	res, err := writeExport(jobCtx, a.store, j, maxExportBytes)
	cancel()
	<-renewed
	switch {
	case lost.Load(), errors.Is(err, errLeaseLost):
		a.logger.Warn("blog: a job's lease passed and another worker took it", "job", j.ID)
		return
	case ctx.Err() != nil:
		// Stopping: back in the queue for whichever server comes next.
		if err := a.store.releaseJob(context.WithoutCancel(ctx), j); err != nil && !errors.Is(err, errLeaseLost) {
			a.logger.Error("blog: releasing a job", "job", j.ID, "error", err)
		}
		return
	}
	a.recordExport(context.WithoutCancel(ctx), j, res, err, time.Now())
}

// recordExport finishes j: succeeded with res, or failed with the error
// its owner reads (msgExportTooLarge past the cap).
func (a *api) recordExport(ctx context.Context, j *job, res exportResult, err error, now time.Time) {
	switch {
	case errors.Is(err, errExportTooLarge):
		res = exportResult{Failure: msgExportTooLarge}
	case err != nil:
		a.logger.Error("blog: export failed", "job", j.ID, "error", err)
		res = exportResult{Failure: "The export failed; request a new one."}
	}
	if err := a.store.finishJob(ctx, j, res, now); errors.Is(err, errLeaseLost) {
		a.logger.Warn("blog: a job's lease passed and another worker took it", "job", j.ID)
	} else if err != nil {
		a.logger.Error("blog: finishing a job", "job", j.ID, "error", err)
	}
}
