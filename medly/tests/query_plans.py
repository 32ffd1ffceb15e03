"""EXPLAIN of a queryset as rows of dicts (MariaDB's columns: table, type, key, rows, Extra…)."""

from django.db import connection


def plan(queryset):
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        columns = [column[0] for column in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def keys_used(queryset):
    return {row["key"] for row in plan(queryset)}


def full_scans(queryset):
    """Tables read whole (type ALL or index), derived tables and materialized subqueries aside."""
    return [
        row["table"]
        for row in plan(queryset)
        if row["type"] in ("ALL", "index") and not str(row["table"]).startswith(("<subquery", "<derived"))
    ]


def describe(queryset):
    return "\n".join(
        f"{row['select_type']:<20} {row['table']:<28} {row['type']:<16} {row['key']} rows={row['rows']} {row['Extra']}"
        for row in plan(queryset)
    )


def plan_of_sql(sql):
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}")
        columns = [column[0] for column in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def captured_plans(captured, table):
    """The plan rows reading ``table`` of each SELECT a CaptureQueriesContext saw."""
    rows = []
    for query in captured.captured_queries:
        if query["sql"].lstrip().upper().startswith("SELECT") and f"`{table}`" in query["sql"]:
            rows.extend(row for row in plan_of_sql(query["sql"]) if row["table"] in (table, "U0"))
    return rows
