"""The one publish path: candidate builds are frozen, gated, then swapped into `bi` atomically.

A build's marts are copied into their own schema `pub_NNNNNN` (the candidate). The gate
validates exactly that copy. Publishing re-points every view in `bi` to the candidate's
tables in one transaction, so BI users switch from one consistent build to the next and
never see a half-published one; earlier publication schemas are kept for rollback.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
import psycopg
from psycopg import sql

from core.migrations import migrate
from publishing.bi_login import READER_ROLE, apply_bi_password
from publishing.method import record_method_hashes

log = logging.getLogger(__name__)

#: Every table dbt builds in `marts` is published, plus these reference seeds.
PUBLISHED_SCHEMA = "marts"
PUBLISHED_REFERENCE = (
    "reference.frameworks",
    "reference.indicator_catalogue",
    "reference.not_computed_reasons",
    "reference.indicator_targets",
    "reference.rating_bands",
)
BI_SCHEMA = "bi"
#: The long indicator table whose published values are compared between publications.
INDICATOR_VALUES = "ind_values"
#: Columns that identify one published value (ind_values' key), and those whose change is a restatement.
VALUE_KEY = ("indicator_id", "period_kind", "period_start", "level", "scope", "view", "unit_id")
VALUE_FIGURES = ("value", "numerator", "denominator")
#: The candidate's copy of the restatement history, published beside the marts.
RESTATEMENTS = "restatements"
#: The candidate's copy of the publication ledger and gate verdicts BI may see (ops is not readable by BI).
PUBLICATION_HISTORY = "publication_history"
KEEP_PUBLICATIONS = 5
_LOCK = "select pg_advisory_xact_lock(hashtext('dtimon.publish'))"
#: How long the switch waits for readers before it lets go and retries (below PostgreSQL's
#: default deadlock_timeout of 1 s, so a reader is never the one a deadlock check aborts).
SWITCH_LOCK_TIMEOUT = "200ms"
#: How long publish and rollback keep retrying while readers hold the `bi` views.
SWITCH_PATIENCE = 120.0


class PublishRefused(RuntimeError):
    """The candidate may not be published (the gate did not pass it)."""


@dataclass(frozen=True)
class Candidate:
    publication_id: int
    schema: str
    relations: tuple[str, ...]
    row_counts: dict[str, int]


def _source_relations(conn: psycopg.Connection) -> list[tuple[str, str]]:
    rows = conn.execute(
        """
        select table_schema, table_name from information_schema.tables
        where table_schema = %s and table_type = 'BASE TABLE'
        order by table_name
        """,
        (PUBLISHED_SCHEMA,),
    ).fetchall()
    found = [(schema, name) for schema, name in rows]
    for qualified in PUBLISHED_REFERENCE:
        schema, name = qualified.split(".")
        if conn.execute("select to_regclass(%s)", (qualified,)).fetchone()[0] is not None:
            found.append((schema, name))
    return found


def _copy_comments(
    conn: psycopg.Connection, source: tuple[str, str], target: tuple[str, str], kind: str
) -> None:
    """Carry table and column descriptions from `source` to `target` (a table or a view)."""
    src = f"{source[0]}.{source[1]}"
    table_comment = conn.execute("select obj_description(%s::regclass, 'pg_class')", (src,)).fetchone()[0]
    target_ident = sql.Identifier(*target)
    if table_comment:
        conn.execute(
            sql.SQL("comment on {} {} is {}").format(sql.SQL(kind), target_ident, sql.Literal(table_comment))
        )
    columns = conn.execute(
        """
        select a.attname, col_description(a.attrelid, a.attnum)
        from pg_attribute a
        where a.attrelid = %s::regclass and a.attnum > 0 and not a.attisdropped
          and col_description(a.attrelid, a.attnum) is not null
        """,
        (src,),
    ).fetchall()
    for column, comment in columns:
        conn.execute(
            sql.SQL("comment on column {} is {}").format(
                sql.Identifier(target[0], target[1], column), sql.Literal(comment)
            )
        )


def stage_candidate(
    conn: psycopg.Connection, run_id: str | None = None, *, manifest: Mapping[str, Any] | None = None
) -> Candidate:
    """Freeze the current marts into a new candidate schema and record it, with the method hash of
    each indicator it computes (publishing.method) from dbt's `manifest` of the build that made
    the marts (none for marts made without dbt: the hashes then cover the catalogue rows only)."""
    migrate(conn)
    with conn.transaction():
        conn.execute(_LOCK)
        publication_id = conn.execute(
            "insert into ops.publications (schema_name, status, run_id) "
            "values ('pending-' || gen_random_uuid(), 'candidate', %s) returning publication_id",
            (run_id,),
        ).fetchone()[0]
        schema = f"pub_{publication_id:06d}"
        conn.execute(sql.SQL("create schema {}").format(sql.Identifier(schema)))
        relations: list[str] = []
        counts: dict[str, int] = {}
        for source_schema, name in _source_relations(conn):
            target = (schema, name)
            conn.execute(
                sql.SQL("create table {} as table {}").format(
                    sql.Identifier(*target), sql.Identifier(source_schema, name)
                )
            )
            _copy_comments(conn, (source_schema, name), target, "table")
            counts[name] = conn.execute(
                sql.SQL("select count(*) from {}").format(sql.Identifier(*target))
            ).fetchone()[0]
            relations.append(name)
        if not relations:
            raise PublishRefused(
                f"nothing to publish: schema {PUBLISHED_SCHEMA!r} has no tables (did dbt run?)"
            )
        method_changed = record_method_hashes(conn, publication_id, schema, manifest or {})
        conn.execute(
            "update ops.publications set method_changed = %s where publication_id = %s",
            (method_changed, publication_id),
        )
        if INDICATOR_VALUES in relations:
            counts[RESTATEMENTS] = _record_restatements(conn, publication_id, schema, method_changed or [])
            relations.append(RESTATEMENTS)
        counts[PUBLICATION_HISTORY] = _record_publication_history(
            conn, publication_id, schema, len(relations) + 1, sum(counts.values())
        )
        relations.append(PUBLICATION_HISTORY)
        conn.execute(
            "update ops.publications set schema_name = %s, relations = %s, row_counts = %s where publication_id = %s",
            (schema, relations, orjson.dumps(counts).decode(), publication_id),
        )
    log.info("staged candidate %s with %d relations", schema, len(relations))
    return Candidate(publication_id, schema, tuple(relations), counts)


def _record_restatements(
    conn: psycopg.Connection, publication_id: int, schema: str, method_changed: list[str]
) -> int:
    """Compare the candidate's indicator values with the live publication's; record what changed.

    A value already published (an indicator, period of any kind, level, scope, view and unit)
    that is different in the candidate, or gone from it, is a restatement: it is written to
    `ops.restatements` under the candidate's id, marked `method_changed` when its indicator is
    one of `method_changed` (recomputed by a new rule, not restated by new data). The candidate then gets a `restatements` table with every
    restatement of the publications that reached `bi` up to and including itself, so
    `bi.restatements` always tells the history behind the numbers BI shows. Values for new
    periods are not restatements. Returns the number of rows in the candidate's table.
    """
    live = current_publication(conn)
    live_table = (
        (live[1], INDICATOR_VALUES)
        if live and conn.execute("select to_regclass(%s)", (f"{live[1]}.{INDICATOR_VALUES}",)).fetchone()[0]
        else None
    )
    if live_table is not None:
        new, old = sql.Identifier(schema, INDICATOR_VALUES), sql.Identifier(*live_table)
        key = sql.SQL(" and ").join(sql.SQL("new.{0} = old.{0}").format(sql.Identifier(c)) for c in VALUE_KEY)
        differs = sql.SQL(" or ").join(
            sql.SQL("new.{0} is distinct from old.{0}").format(sql.Identifier(c)) for c in VALUE_FIGURES
        )
        conn.execute(
            sql.SQL(
                """
                insert into ops.restatements (
                    publication_id, previous_publication_id, {columns}, change,
                    old_value, new_value, old_numerator, new_numerator, old_denominator, new_denominator,
                    method_changed
                )
                select
                    %s, %s, {old_columns},
                    case when new.indicator_id is null then 'removed' else 'changed' end,
                    old.value, new.value, old.numerator, new.numerator, old.denominator, new.denominator,
                    old.indicator_id = any(%s)
                from {old} as old
                left join {new} as new on {key}
                where new.indicator_id is null or {differs}
                """
            ).format(
                old=old,
                new=new,
                key=key,
                differs=differs,
                columns=sql.SQL(", ").join(map(sql.Identifier, VALUE_KEY)),
                old_columns=sql.SQL(", ").join(sql.Identifier("old", c) for c in VALUE_KEY),
            ),
            (publication_id, live[0] if live else None, method_changed),
        )
    target = sql.Identifier(schema, RESTATEMENTS)
    conn.execute(
        sql.SQL(
            """
            create table {target} as
            select
                restatements.publication_id, restatements.previous_publication_id,
                {columns}, restatements.change,
                restatements.old_value, restatements.new_value,
                restatements.old_numerator, restatements.new_numerator,
                restatements.old_denominator, restatements.new_denominator,
                restatements.method_changed, restatements.recorded_at
            from ops.restatements as restatements
            inner join ops.publications as publications
                on restatements.publication_id = publications.publication_id
            where restatements.publication_id = %s
               or (restatements.publication_id < %s and publications.published_at is not null)
            order by restatements.publication_id, {columns}
            """
        ).format(
            target=target, columns=sql.SQL(", ").join(sql.Identifier("restatements", c) for c in VALUE_KEY)
        ),
        (publication_id, publication_id),
    )
    _copy_comments(conn, ("ops", "restatements"), (schema, RESTATEMENTS), "table")
    changed = conn.execute(
        "select count(*) from ops.restatements where publication_id = %s", (publication_id,)
    ).fetchone()[0]
    if changed:
        log.warning(
            "publication %s restates %d already published values (see bi.restatements)",
            publication_id,
            changed,
        )
    return conn.execute(sql.SQL("select count(*) from {}").format(target)).fetchone()[0]


def _record_publication_history(
    conn: psycopg.Connection, publication_id: int, schema: str, relation_count: int, row_count: int
) -> int:
    """Give the candidate a `publication_history` table: every earlier build and its gate verdict.

    What BI may see of `ops.publications` and `ops.gate_results` (no run ids, no gate
    documents), as they stood when the candidate was staged, plus the candidate's own row
    (`is_this_publication`). The table is read only once the candidate is in `bi`, that is
    once its gate passed and it replaced the live publication: so its own gate verdict,
    unknown at staging, is shown as passed (corrected by `publish` when an operator accepts a
    refusal for moves), and the publication live at staging as
    superseded. Its size is passed in (the ledger row is completed after this). Returns its
    row count.
    """
    has_gate = conn.execute("select to_regclass('ops.gate_results')").fetchone()[0] is not None
    gate_join = (
        sql.SQL(
            """
            left join lateral (
                select success, evaluated, failed_critical, failed_warning, validated_at
                from ops.gate_results as results
                where results.publication_id = publications.publication_id
                order by results.validated_at desc
                limit 1
            ) as gate on true
            """
        )
        if has_gate
        else sql.SQL(
            "left join (select null::boolean as success, null::integer as evaluated,"
            " null::integer as failed_critical, null::integer as failed_warning,"
            " null::timestamptz as validated_at) as gate on true"
        )
    )
    target = sql.Identifier(schema, PUBLICATION_HISTORY)
    conn.execute(
        sql.SQL(
            """
            create table {target} as
            select
                publications.publication_id,
                publications.publication_id = %(id)s as is_this_publication,
                case
                    when publications.publication_id = %(id)s then 'published'
                    when publications.status = 'published' then 'superseded'  -- by this one
                    else publications.status
                end as status,
                publications.created_at,
                publications.published_at,
                case when publications.publication_id = %(id)s then %(relations)s
                    else cardinality(publications.relations) end as relation_count,
                case when publications.publication_id = %(id)s then %(rows)s
                    else (
                        select coalesce(sum(counted.value::bigint), 0)::bigint
                        from jsonb_each_text(publications.row_counts) as counted
                        where counted.key <> %(history)s
                    )
                end as row_count,
                case when publications.publication_id = %(id)s then true else gate.success end as gate_passed,
                gate.evaluated as gate_evaluated,
                gate.failed_critical as gate_failed_critical,
                gate.failed_warning as gate_failed_warning,
                gate.validated_at as gate_validated_at,
                (select count(*) from ops.restatements as restatements
                    where restatements.publication_id = publications.publication_id) as restated_values,
                array_to_string(publications.method_changed, ', ') as method_changed,
                publications.accepted_moves_by is not null as moves_accepted
            from ops.publications as publications
            {gate_join}
            where publications.publication_id <= %(id)s
            order by publications.publication_id
            """
        ).format(target=target, gate_join=gate_join),
        {
            "id": publication_id,
            "relations": relation_count,
            "rows": row_count,
            "history": PUBLICATION_HISTORY,
        },
    )
    comments = {
        None: "Every build that reached the gate up to this publication: status, size, gate verdict, "
        "values it restated. Status of earlier builds as of when this one was staged.",
        "is_this_publication": "True for the publication bi shows now.",
        "status": "published, superseded, rejected (by the gate), rolled_back or candidate.",
        "row_count": "Rows of the build's relations together (marts, reference, restatements).",
        "gate_passed": "Whether the Great Expectations gate passed the build (NULL: never validated).",
        "gate_failed_critical": "Failed expectations that stop publishing.",
        "gate_failed_warning": "Failed expectations that only warn.",
        "restated_values": "Already published values the build changed or removed (see restatements).",
        "method_changed": "Indicators whose method (measure, catalogue row or dbt lineage) changed in the build: "
        "their values were recomputed by a new rule and not judged for moves.",
        "moves_accepted": "Published on an operator's word although the gate refused it for moves or "
        "disappearances only (dtimon publish --accept-moves).",
    }
    for column, text in comments.items():
        what = (
            sql.SQL("table {}").format(target)
            if column is None
            else sql.SQL("column {}").format(sql.Identifier(schema, PUBLICATION_HISTORY, column))
        )
        conn.execute(sql.SQL("comment on {} is {}").format(what, sql.Literal(text)))
    return conn.execute(sql.SQL("select count(*) from {}").format(target)).fetchone()[0]


def restatement_count(conn: psycopg.Connection, publication_id: int) -> int:
    """How many already published values publication `publication_id` changed or removed."""
    if conn.execute("select to_regclass('ops.restatements')").fetchone()[0] is None:
        return 0
    return conn.execute(
        "select count(*) from ops.restatements where publication_id = %s", (publication_id,)
    ).fetchone()[0]


def reject(conn: psycopg.Connection, publication_id: int, note: str, *, keep_copy: bool = False) -> None:
    """Mark a candidate rejected and drop its copy (kept with `keep_copy`: a build refused only
    for moves or disappearances, which `publish(..., accepted_moves_by=...)` may still publish); `bi` is not touched."""
    with conn.transaction():
        conn.execute(_LOCK)
        schema = _status_check(conn, publication_id, {"candidate"})
        if not keep_copy:
            conn.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(schema)))
        conn.execute(
            "update ops.publications set status = 'rejected', note = %s where publication_id = %s",
            (note[:2000], publication_id),
        )


def _status_check(conn: psycopg.Connection, publication_id: int, allowed: set[str]) -> str:
    row = conn.execute(
        "select schema_name, status from ops.publications where publication_id = %s for update",
        (publication_id,),
    ).fetchone()
    if row is None:
        raise PublishRefused(f"publication {publication_id} does not exist")
    schema, status = row
    if status not in allowed:
        raise PublishRefused(f"publication {publication_id} is {status}, expected one of {sorted(allowed)}")
    return schema


def _gate_verdict(conn: psycopg.Connection, publication_id: int) -> tuple[bool, bool]:
    """(passed, refused for moves only) of the candidate's latest gate result."""
    if conn.execute("select to_regclass('ops.gate_results')").fetchone()[0] is None:
        return False, False
    row = conn.execute(
        "select success, refused_for_moves_only from ops.gate_results where publication_id = %s"
        " order by validated_at desc limit 1",
        (publication_id,),
    ).fetchone()
    return (bool(row[0]), bool(row[1])) if row else (False, False)


def _now(conn: psycopg.Connection) -> str:
    return conn.execute("select to_char(now() at time zone 'UTC', 'YYYY-MM-DD HH24:MI UTC')").fetchone()[0]


def _lock_bi_views(conn: psycopg.Connection) -> list[str]:
    """Take every view of `bi` in ACCESS EXCLUSIVE mode, in one statement; the views' names.

    Readers hold ACCESS SHARE locks on the views they read, taken in whatever order their
    query names them. Taking the views one by one (as drop-and-create does) can therefore
    deadlock with a reader that holds one view and waits for another; PostgreSQL then kills
    one of the two. Here the switch asks for all views at once under a lock timeout shorter
    than `deadlock_timeout`: if a reader is in the way, the switch gives up within
    `SWITCH_LOCK_TIMEOUT`, releases everything and is retried, so the reader never waits on
    a half-locked switch long enough to be chosen as a deadlock victim.
    """
    views = [
        name
        for (name,) in conn.execute(
            "select table_name from information_schema.views where table_schema = %s order by table_name",
            (BI_SCHEMA,),
        ).fetchall()
    ]
    if views:
        conn.execute(sql.SQL("set local lock_timeout = {}").format(sql.Literal(SWITCH_LOCK_TIMEOUT)))
        conn.execute(
            sql.SQL("lock table {} in access exclusive mode").format(
                sql.SQL(", ").join(sql.Identifier(BI_SCHEMA, view) for view in views)
            )
        )
        conn.execute("set local lock_timeout = 0")
    return views


def _point_bi_at(conn: psycopg.Connection, schema: str, relations: list[str]) -> None:
    """Re-point `bi` at `schema`'s tables; the caller's transaction makes it one step for readers."""
    for view in _lock_bi_views(conn):
        conn.execute(sql.SQL("drop view {}").format(sql.Identifier(BI_SCHEMA, view)))
    reader = conn.execute("select 1 from pg_roles where rolname = %s", (READER_ROLE,)).fetchone()
    if reader:
        conn.execute(
            sql.SQL("grant usage on schema {} to {}").format(
                sql.Identifier(BI_SCHEMA), sql.Identifier(READER_ROLE)
            )
        )
    for name in relations:
        columns = [
            c
            for (c,) in conn.execute(
                "select column_name from information_schema.columns "
                "where table_schema = %s and table_name = %s order by ordinal_position",
                (schema, name),
            ).fetchall()
        ]
        conn.execute(
            sql.SQL("create view {} as select {} from {}").format(
                sql.Identifier(BI_SCHEMA, name),
                sql.SQL(", ").join(sql.Identifier(c) for c in columns),
                sql.Identifier(schema, name),
            )
        )
        _copy_comments(conn, (schema, name), (BI_SCHEMA, name), "view")
        if reader:
            conn.execute(
                sql.SQL("grant select on {} to {}").format(
                    sql.Identifier(BI_SCHEMA, name), sql.Identifier(READER_ROLE)
                )
            )


def _switch(conn: psycopg.Connection, step: Callable[[], str], what: str) -> str:
    """Run `step` (one transaction that re-points `bi`), retrying while readers hold the views."""
    deadline = time.monotonic() + SWITCH_PATIENCE
    attempt = 0
    while True:
        attempt += 1
        try:
            with conn.transaction():
                return step()
        except psycopg.errors.LockNotAvailable:
            if time.monotonic() >= deadline:
                raise PublishRefused(
                    f"{what}: readers kept the bi views busy for {SWITCH_PATIENCE:.0f} s "
                    f"({attempt} attempts); bi is unchanged, try again"
                ) from None
            time.sleep(random.uniform(0.01, min(0.5, 0.02 * attempt)))


def publish(
    conn: psycopg.Connection,
    publication_id: int,
    backfill_id: int | None = None,
    *,
    accepted_moves_by: str | None = None,
) -> str:
    """Switch `bi` to the candidate, in one transaction, only if the gate passed it. With
    `backfill_id` (the candidate was built from that backfill), its staged batches become live in
    the same transaction, replacing the batches of their intervals. With `accepted_moves_by` (an
    operator's name), a build the gate refused only because values moved beyond their fail_move
    or published values disappeared is published too, and who accepted that is recorded."""
    from ingestion.backfills import publish_backfill

    migrate(conn)
    apply_bi_password(conn)

    def step() -> str:
        conn.execute(_LOCK)
        allowed = {"candidate", "rejected"} if accepted_moves_by else {"candidate"}
        schema = _status_check(conn, publication_id, allowed)
        passed, moves_only = _gate_verdict(conn, publication_id)
        if accepted_moves_by:
            if not moves_only:
                raise PublishRefused(
                    f"publication {publication_id} was not refused for moves or disappearances only;"
                    " --accept-moves cannot publish it"
                )
            if conn.execute("select to_regnamespace(%s)", (schema,)).fetchone()[0] is None:
                raise PublishRefused(f"publication {publication_id}: its copy {schema} is gone")
        elif not passed:
            raise PublishRefused(
                f"publication {publication_id} has no passing gate result; bi is left on the last good publication"
            )
        relations = conn.execute(
            "select relations from ops.publications where publication_id = %s", (publication_id,)
        ).fetchone()[0]
        if accepted_moves_by:  # its history, made at staging, assumed its gate would pass
            conn.execute(
                sql.SQL(
                    """
                    update {} set
                        gate_passed = false, moves_accepted = true, gate_evaluated = gate.evaluated,
                        gate_failed_critical = gate.failed_critical, gate_failed_warning = gate.failed_warning,
                        gate_validated_at = gate.validated_at
                    from (
                        select evaluated, failed_critical, failed_warning, validated_at from ops.gate_results
                        where publication_id = %s order by validated_at desc limit 1
                    ) as gate
                    where is_this_publication
                    """
                ).format(sql.Identifier(schema, PUBLICATION_HISTORY)),
                (publication_id,),
            )
        _point_bi_at(conn, schema, relations)
        conn.execute("update ops.publications set status = 'superseded' where status = 'published'")
        conn.execute(
            "update ops.publications set status = 'published', published_at = now(), live_since = now(),"
            " accepted_moves_by = %s where publication_id = %s",
            (f"{accepted_moves_by} at {_now(conn)}" if accepted_moves_by else None, publication_id),
        )
        if backfill_id is not None:
            publish_backfill(conn, backfill_id, publication_id)
        _prune(conn)
        return schema

    schema = _switch(conn, step, f"publishing {publication_id}")
    log.info("published %s to schema bi", schema)
    return schema


def rollback(conn: psycopg.Connection, to_publication_id: int | None = None) -> str:
    """Point `bi` back at an earlier publication (default: the one before the current)."""

    def step() -> str:
        conn.execute(_LOCK)
        current = conn.execute(
            "select publication_id from ops.publications where status = 'published'"
        ).fetchone()
        target = to_publication_id
        if target is None:
            row = conn.execute(
                "select publication_id from ops.publications where status = 'superseded' and pruned_at is null"
                " order by live_since desc nulls last limit 1"
            ).fetchone()
            if row is None:
                raise PublishRefused("no earlier publication to roll back to")
            target = row[0]
        schema = _status_check(conn, target, {"superseded", "rolled_back"})
        _refuse_pruned(conn, target)
        if current:
            _refuse_older_shape(conn, target, schema, current[0])
        relations = conn.execute(
            "select relations from ops.publications where publication_id = %s", (target,)
        ).fetchone()[0]
        _point_bi_at(conn, schema, relations)
        if current:
            conn.execute(
                "update ops.publications set status = 'rolled_back' where publication_id = %s", current
            )
        conn.execute(
            "update ops.publications set status = 'published', live_since = now() where publication_id = %s",
            (target,),
        )
        return schema

    return _switch(conn, step, "rollback")


def _refuse_older_shape(conn: psycopg.Connection, target: int, schema: str, current: int) -> None:
    """A rollback to a copy lacking a table or column that bi shows today (built before an upgrade
    changed them) is refused: the report and Metabase read today's shape and would break."""
    missing = conn.execute(
        """
        select string_agg(distinct case
            when not exists (
                select from information_schema.tables as theirs
                where theirs.table_schema = %(schema)s and theirs.table_name = now.table_name
            ) then now.table_name
            else now.table_name || '.' || now.column_name end, ', ')
        from information_schema.columns as now
        join ops.publications as live on live.publication_id = %(current)s and now.table_schema = live.schema_name
        where now.table_name = any(live.relations)
          and not exists (
              select from information_schema.columns as same
              where same.table_schema = %(schema)s and same.table_name = now.table_name
                and same.column_name = now.column_name
          )
        """,
        {"schema": schema, "current": current},
    ).fetchone()[0]
    if missing:
        raise PublishRefused(
            f"publication {target} cannot be restored: it was built before an upgrade and lacks what bi "
            f"shows today ({missing}); publish a new build instead"
        )


def _refuse_pruned(conn: psycopg.Connection, publication_id: int) -> None:
    """A rollback to a publication whose copy was dropped is refused, naming the ones kept."""
    pruned = conn.execute(
        "select pruned_at from ops.publications where publication_id = %s", (publication_id,)
    ).fetchone()[0]
    if pruned is None:
        return
    kept = [
        str(n)
        for (n,) in conn.execute(
            "select publication_id from ops.publications where status in ('superseded', 'rolled_back')"
            " and pruned_at is null order by publication_id"
        ).fetchall()
    ]
    raise PublishRefused(
        f"publication {publication_id} cannot be restored: its copy was pruned on {pruned:%Y-%m-%d %H:%M} UTC "
        f"(the last {KEEP_PUBLICATIONS} are kept); restorable: {', '.join(kept) or 'none'}"
    )


def _prune(conn: psycopg.Connection) -> None:
    """Keep the live publication and the last few before it; drop older copies (noted once)."""
    old = conn.execute(
        """
        select publication_id, schema_name from ops.publications
        where status in ('superseded', 'rolled_back') and pruned_at is null
        order by live_since desc nulls last, publication_id desc
        offset %s
        """,
        (KEEP_PUBLICATIONS,),
    ).fetchall()
    for publication_id, schema in old:
        conn.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(schema)))
        conn.execute(
            "update ops.publications set pruned_at = now(),"
            " note = coalesce(note || '; ', '') || 'copy pruned' where publication_id = %s",
            (publication_id,),
        )


def current_publication(conn: psycopg.Connection) -> tuple[int, str] | None:
    if conn.execute("select to_regclass('ops.publications')").fetchone()[0] is None:
        return None
    row = conn.execute(
        "select publication_id, schema_name from ops.publications where status = 'published'"
    ).fetchone()
    return (row[0], row[1]) if row else None
