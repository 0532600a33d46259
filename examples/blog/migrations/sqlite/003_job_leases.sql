-- Export jobs are leased (issue 21): a worker that claims a job holds it
-- until lease_until and renews the lease while it runs, so that servers
-- sharing the database never run one job twice, and a job whose worker
-- died is claimed again once its lease has passed, by any server, rather
-- than at the next start of some server. The job's attempts count is the
-- claim's fencing token: a worker that lost its lease writes nothing.
-- Jobs left running before this migration have no lease: claimable.

ALTER TABLE jobs ADD COLUMN lease_until TEXT;
