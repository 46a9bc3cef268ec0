-- Restatements are keyed like bi.ind_values (issue 19 item 7): a value is one indicator, period
-- kind and start, level, scope, view and unit. Rows recorded before are month rows of scope area,
-- view historical.
alter table ops.restatements rename column period_month to period_start;
alter table ops.restatements rename column unit_level to level;
alter table ops.restatements add column period_kind text not null default 'month';
alter table ops.restatements add column scope text not null default 'area';
alter table ops.restatements add column view text not null default 'historical';
alter table ops.restatements alter column period_kind drop default;
alter table ops.restatements alter column scope drop default;
alter table ops.restatements alter column view drop default;
alter table ops.restatements drop constraint restatements_pkey;
alter table ops.restatements add primary key (
    publication_id, indicator_id, period_kind, period_start, level, scope, view, unit_id
);
comment on table ops.restatements is
    'Published indicator values that a later publication changed or removed: one row per (publication, indicator, period kind and start, level, scope, view, unit), with the values before and after. New periods are not restatements.';
comment on column ops.restatements.period_kind is 'month, quarter or year (as in ind_values).';
comment on column ops.restatements.period_start is 'First day of the period (local calendar).';
comment on column ops.restatements.level is 'agency or province (as in ind_values).';

-- The month projection ind_values__unit_month is gone (every reader reads ind_values): dbt leaves
-- a removed model's table behind, and publishing copies every table of marts, so drop it here.
drop table if exists marts.ind_values__unit_month;
