"""People search: the word index against the LIKE '%…%' scan it replaced, timed in one run, with EXPLAIN.

Runs against the database in DATABASE_URL (migrated: `manage.py migrate`). It adds --people bench patients
(emails bench-search-<n>@medly.test, idempotent: only the missing ones) through the user queryset's
bulk_create, which writes their search words, then times each query --repeat times both ways:

    DATABASE_URL=mysql://root@127.0.0.1:3306/medly_bench .venv/bin/python bench/search_index.py [--json FILE]

"old" is what the desk and /patients/ ran before: every word AND-ed as ``search_text LIKE '%word%'``
(and ``phone LIKE '%word%'``); "new" is scheduling.queries.find_patients through the word index.
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "medly.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Q  # noqa: E402

from accounts.models import Role, User  # noqa: E402
from medly.text import fold_for_search  # noqa: E402
from scheduling.queries import find_patients  # noqa: E402

FIRST = ["María", "José", "Ana", "Juan", "Luis", "Rosa", "Jorge", "Elena", "Carlos", "Lucía", "Pedro", "Sofía"]
LAST = ["Chablé", "Canché", "Pech", "Uc", "Ek", "Pérez", "López", "García", "Hernández", "May", "Dzul", "Cocom"]
QUERIES = ["chable", "maria canche", "lopez garcia", "bench-search-4217", "4217", "999 42", "zzzz", "ek"]


def add_people(count):
    have = User.objects.filter(email__startswith="bench-search-").count()
    rng = random.Random(2026)  # noqa: S311 - the same made-up names on every run
    batch = []
    for n in range(have, count):
        batch.append(
            User(
                email=f"bench-search-{n}@medly.test",
                first_name=f"{rng.choice(FIRST)} {rng.choice(FIRST)}",
                last_name=f"{rng.choice(LAST)} {rng.choice(LAST)}",
                phone=f"999 {n // 10000:03d} {n % 10000:04d}",
                role=Role.PATIENT,
            )
        )
        if len(batch) == 5000:
            User.objects.bulk_create(batch)
            batch = []
    User.objects.bulk_create(batch)
    return count - have


def old_search(query, limit=20):
    patients = User.objects.filter(role=Role.PATIENT, is_active=True)
    for word in fold_for_search(query).split():
        patients = patients.filter(Q(search_text__contains=word) | Q(phone__contains=word))
    return patients.order_by("last_name", "first_name")[:limit]


def timed(make_queryset, repeat):
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        rows = list(make_queryset())
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), len(rows)


def plan(queryset):
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        return [f"{row[2]} {row[3]} key={row[5]} rows={row[8]}" for row in cursor.fetchall()]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args()
    added = add_people(args.people)
    total = User.objects.filter(role=Role.PATIENT).count()
    results = []
    for query in QUERIES:
        old_ms, old_rows = timed(lambda q=query: old_search(q), args.repeat)
        new_ms, new_rows = timed(lambda q=query: find_patients(q), args.repeat)
        results.append(
            {
                "query": query,
                "old_ms": round(old_ms, 2),
                "new_ms": round(new_ms, 2),
                "old_over_new": round(old_ms / new_ms, 1) if new_ms else None,
                "old_rows": old_rows,
                "new_rows": new_rows,
                "new_plan": plan(find_patients(query)),
            }
        )
    print(f"patients: {total} ({added} added this run); median of {args.repeat} runs each")
    print(f"{'query':<22} {'LIKE %…% ms':>12} {'index ms':>9} {'ratio':>7}  rows old/new")
    for row in results:
        print(
            f"{row['query']:<22} {row['old_ms']:>12} {row['new_ms']:>9} {row['old_over_new']:>7}"
            f"  {row['old_rows']}/{row['new_rows']}"
        )
    for row in results:
        print(f"EXPLAIN {row['query']!r}: " + " | ".join(row["new_plan"]))
    if args.json:
        Path(args.json).write_text(json.dumps({"patients": total, "results": results}, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
