-- A failed dbt step names the nodes that failed, read from dbt's results file (run_results.json,
-- or sources.json of `dbt source freshness`): one object per node, with the first lines of its
-- error, masked as the message is.
alter table ops.build_runs add column if not exists failed_nodes jsonb;
comment on column ops.build_runs.failed_nodes is
    'The dbt nodes a failed step names: [{resource_type, name, status, message}] (the first lines of each error, masked); null when none.';
