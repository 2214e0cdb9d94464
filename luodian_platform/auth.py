"""The request's user and its roles, read in one statement.

Every authenticated request needs its user and the user's roles (``visible_to``, the
pages' menus, every service's permission check). Through the ORM that is two queries (the
user, then ``user.groups``) — three with a staff token — and each costs more to *compile*
than PostgreSQL takes to run it (≈0.5-1 ms of Python per query, measured with
``bench/listcost.py``; the list request's SQL is 1-2 ms in all). So the two ways a request
is authenticated read the user with a fixed, precomposed statement that joins its groups:

* pages and the browsable API (session): ``RoleLoadingBackend.get_user``;
* ``Authorization: Token …`` (``luodian_platform.tokens.StaffTokenAuthentication``):
  ``token_with_user`` reads the token, its user and the roles together.

The user's department comes in the same statement (every page's header shows it).

The rows are turned into model instances with the fields' own database converters (the
same ones the ORM's compiler applies), so the instances equal what the ORM would load
(``tests/test_request_cost.py`` compares them on SQLite and PostgreSQL). Always read from
the primary database: a role taken away must take effect on the next request, not after a
replica catches up.
"""

from __future__ import annotations

from functools import cache

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group
from django.db import DEFAULT_DB_ALIAS, connections

from .models import Department, StaffToken, User
from .roles import remember_roles


class _RowReader:
    """Builds a model instance from a slice of a raw row, converting each value the way the
    ORM does (SQLite's booleans and datetimes, for instance, arrive as ints and strings)."""

    def __init__(self, model, alias: str, connection):
        self.model = model
        self.fields = list(model._meta.concrete_fields)
        self.names = [f.attname for f in self.fields]
        self.columns = [f"{alias}.{connection.ops.quote_name(f.column)}" for f in self.fields]
        self.converters = []
        for field in self.fields:
            col = field.get_col(alias)
            convs = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
            self.converters.append((col, convs))

    def read(self, values, connection):
        out = []
        for value, (col, convs) in zip(values, self.converters, strict=True):
            for convert in convs:
                value = convert(value, col, connection)
            out.append(value)
        return self.model.from_db(connection.alias, self.names, out)


@cache
def _statements(vendor: str) -> dict:
    connection = connections[DEFAULT_DB_ALIAS]
    qn = connection.ops.quote_name
    user = _RowReader(User, "u", connection)
    department = _RowReader(Department, "d", connection)
    token = _RowReader(StaffToken, "t", connection)
    through = User.groups.through._meta.db_table
    # The user's department comes along: every page's header names it.
    joins = (
        f"LEFT JOIN {qn(Department._meta.db_table)} d ON d.{qn('id')} = u.{qn('department_id')} "
        f"LEFT JOIN {qn(through)} ug ON ug.{qn('user_id')} = u.{qn('id')} "
        f"LEFT JOIN {qn(Group._meta.db_table)} g ON g.{qn('id')} = ug.{qn('group_id')}"
    )
    # One row per group of the user (one row with a NULL name when it has none).
    columns = f"{', '.join(user.columns)}, {', '.join(department.columns)}, g.{qn('name')}"
    # Only quoted identifiers from the models' metadata go into the text; the id and the
    # token's digest are parameters.
    user_table = qn(User._meta.db_table)
    user_sql = f"SELECT {columns} FROM {user_table} u {joins} WHERE u.{qn('id')} = %s"  # noqa: S608
    token_sql = (
        f"SELECT {', '.join(token.columns)}, {columns} "  # noqa: S608
        f"FROM {qn(StaffToken._meta.db_table)} t "
        f"INNER JOIN {qn(User._meta.db_table)} u ON u.{qn('id')} = t.{qn('user_id')} "
        f"{joins} WHERE t.{qn('token_hash')} = %s AND t.{qn('revoked_at')} IS NULL"
    )
    return {
        "user": user,
        "department": department,
        "token": token,
        "user_sql": user_sql,
        "token_sql": token_sql,
    }


def _fetch(kind: str, param) -> tuple[dict, list]:
    connection = connections[DEFAULT_DB_ALIAS]
    statements = _statements(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(statements[f"{kind}_sql"], [param])
        return statements, cursor.fetchall()


def _user_from(statements: dict, rows: list, start: int) -> User:
    """The user (with its department and roles) from the columns of ``rows`` at ``start``."""
    connection = connections[DEFAULT_DB_ALIAS]
    user_reader, department_reader = statements["user"], statements["department"]
    first = rows[0]
    middle = start + len(user_reader.fields)
    user = user_reader.read(first[start:middle], connection)
    department = None
    if user.department_id is not None:
        department = department_reader.read(first[middle:-1], connection)
    User.department.field.set_cached_value(user, department)
    remember_roles(user, [row[-1] for row in rows if row[-1] is not None])
    return user


def user_with_roles(user_id) -> User | None:
    """The user with ``user_id``, its department and its roles (cached on the instance)."""
    statements, rows = _fetch("user", user_id)
    return _user_from(statements, rows, 0) if rows else None


def token_with_user(token_hash: str) -> StaffToken | None:
    """The unrevoked staff token with this hash, its ``user`` (department, roles)."""
    statements, rows = _fetch("token", token_hash)
    if not rows:
        return None
    reader = statements["token"]
    width = len(reader.fields)
    token = reader.read(rows[0][:width], connections[DEFAULT_DB_ALIAS])
    token.user = _user_from(statements, rows, width)
    return token


class RoleLoadingBackend(ModelBackend):
    """Django's model backend, whose ``get_user`` (run on every request with a session)
    reads the user and its roles in one statement."""

    def get_user(self, user_id):
        try:
            pk = User._meta.pk.to_python(user_id)
        except Exception:  # a malformed session value: no user, as the ORM's get() would
            return None
        user = user_with_roles(pk)
        return user if user is not None and self.user_can_authenticate(user) else None
