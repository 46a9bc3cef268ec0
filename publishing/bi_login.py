"""The BI login: the role Metabase connects with, which sees `bi` and nothing else.

The roles themselves are DDL (`core/migrations/0550_bi_login.sql`, applied by the
migrations); the password is not, since nothing secret is committed: it comes from
`DTIMON_BI_PASSWORD` and is set here by whoever runs the migrations (the embedded server's
superuser, or a role with CREATEROLE). It is sent as a SCRAM-SHA-256 verifier computed
client-side, so the clear password never reaches the server's statement log.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import re
import secrets
from collections.abc import Mapping

import psycopg
from psycopg import sql

from publishing.catalog import schema_columns

log = logging.getLogger(__name__)

READER_ROLE = "dtimon_bi_reader"
LOGIN_ROLE = "dtimon_metabase"
PASSWORD_ENV = "DTIMON_BI_PASSWORD"
SCRAM_ITERATIONS = 4096


def scram_verifier(password: str, salt: bytes | None = None, iterations: int = SCRAM_ITERATIONS) -> str:
    """PostgreSQL's stored form of a SCRAM-SHA-256 password (RFC 5802/7677, as `pg_authid` keeps it)."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    b64 = base64.b64encode
    return f"SCRAM-SHA-256${iterations}:{b64(salt).decode()}${b64(stored_key).decode()}:{b64(server_key).decode()}"


_VERIFIER = re.compile(r"^SCRAM-SHA-256\$(\d+):([^$]+)\$[^:]+:.+$")


def _already_set(conn: psycopg.Connection, password: str) -> bool:
    """True when the login's stored verifier is for `password` (readable by superusers only)."""
    try:
        with conn.transaction():
            row = conn.execute(
                "select rolpassword from pg_authid where rolname = %s", (LOGIN_ROLE,)
            ).fetchone()
    except psycopg.errors.InsufficientPrivilege:
        return False
    match = _VERIFIER.match(row[0] or "") if row else None
    if not match:
        return False
    iterations, salt = int(match.group(1)), base64.b64decode(match.group(2))
    return hmac.compare_digest(row[0], scram_verifier(password, salt, iterations))


def apply_bi_password(conn: psycopg.Connection, env: Mapping[str, str] | None = None) -> bool:
    """Give the login role the password in DTIMON_BI_PASSWORD; True when the role can log in with it.

    Without the variable the role keeps no password: password authentication refuses it
    (the embedded server asks every role but its owner for one, over TCP and its socket alike).
    """
    password = (os.environ if env is None else env).get(PASSWORD_ENV) or ""
    if not password:
        log.info("%s is not set: role %s has no password", PASSWORD_ENV, LOGIN_ROLE)
        return False
    if conn.execute("select 1 from pg_roles where rolname = %s", (LOGIN_ROLE,)).fetchone() is None:
        log.warning("role %s does not exist: its password was not set", LOGIN_ROLE)
        return False
    if _already_set(conn, password):
        return True
    try:
        with conn.transaction():
            conn.execute(
                sql.SQL("alter role {} password {}").format(
                    sql.Identifier(LOGIN_ROLE), sql.Literal(scram_verifier(password))
                )
            )
    except psycopg.errors.InsufficientPrivilege:
        log.warning("cannot set the password of %s (no CREATEROLE)", LOGIN_ROLE)
        return False
    log.info("password of role %s set from %s", LOGIN_ROLE, PASSWORD_ENV)
    return True


#: Column names that would hold personal data; none may appear in `bi`.
PERSONAL_COLUMN = re.compile(
    r"applicant|citizen|officer|cccd|cmnd|id_number|identity|phone|email|e_mail|address|birth|"
    r"full_name|person|portal_id|can_bo",
    re.IGNORECASE,
)
#: Values that look personal: a 12-digit citizen id, an e-mail address, a Vietnamese phone number.
PERSONAL_VALUES = {
    "12-digit id": r"(^|[^0-9])[0-9]{12}([^0-9]|$)",
    "e-mail": r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+\.[A-Za-z0-9.-]+",
    "phone": r"(^|[^0-9])(\+84|0)[1-9][0-9]{8}([^0-9]|$)",
}


def find_personal_data(conn: psycopg.Connection, schema: str = "bi") -> list[str]:
    """Every column of `schema` named for personal data, or holding values that look personal."""
    found: list[str] = []
    for table, _, column, type_name, _ in schema_columns(conn, schema):
        if PERSONAL_COLUMN.search(column):
            found.append(f"{schema}.{table}.{column}: named for personal data")
        if not (type_name in {"text", "jsonb", "json"} or type_name.startswith("character")):
            continue
        for what, pattern in PERSONAL_VALUES.items():
            hits = conn.execute(
                sql.SQL("select count(*) from {} where {}::text ~ %s").format(
                    sql.Identifier(schema, table), sql.Identifier(column)
                ),
                (pattern,),
            ).fetchone()[0]
            if hits:
                found.append(f"{schema}.{table}.{column}: {hits} values look like a {what}")
    return found
