-- Export jobs are leased: SQLite's 003_job_leases.sql on PostgreSQL. A
-- worker holds a claimed job until lease_until and renews it while it
-- runs; the job's attempts count is the claim's fencing token.

ALTER TABLE jobs ADD COLUMN lease_until text COLLATE "C";
