#!/usr/bin/env python3
"""Where the doctor page and the directory spend their time, in-process under pyinstrument.

Runs against a bench server's stores (not through HTTP): load its environment first, e.g.

    . /tmp/medly-bench-8101/env && .venv/bin/python bench/profile_pages.py --doctor-id 2

For each page it times ``--repeat`` requests on a cache miss (the doctor's and the directory's
versions replaced before each) and on a hit, prints the median wall and CPU milliseconds (CPU
time is the steadier figure on a busy machine), and pyinstrument's call tree of the misses and of
the hits (``--show-all`` for the whole tree). Code without the page cache runs every request as
a miss. The bench server's STATIC_ROOT is a temporary folder: collect the static files into one
of your own first (``STATIC_ROOT=/tmp/x manage.py collectstatic``) and export it.
Needs pyinstrument (requirements-dev.txt).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "medly.settings")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--doctor-id", type=int, required=True)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--show-all", action="store_true", help="print the whole call tree, library frames too")
    return parser.parse_args(argv)


def invalidate(doctor_id):
    try:
        from scheduling import page_cache
    except ImportError:  # the code before the page cache: every request is a miss
        return
    page_cache.replace_versions([doctor_id])


def profile(client, path, *, doctor_id, miss, repeat, show_all):
    from pyinstrument import Profiler

    client.get(path)
    profiler = Profiler(interval=0.0002)
    spent, cpu = [], []
    for _ in range(repeat):
        if miss:
            invalidate(doctor_id)
        started, cpu_started = time.perf_counter(), time.process_time()
        profiler.start()
        response = client.get(path)
        profiler.stop()
        spent.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"GET {path} answered {response.status_code}")
    print(
        f"\n=== {path} {'miss' if miss else 'hit'}: median {statistics.median(spent):.2f} ms, "
        f"CPU {statistics.median(cpu):.2f} ms (this process, profiler included) over {repeat} ==="
    )
    print(profiler.output_text(unicode=False, color=False, show_all=show_all, short_mode=not show_all))


def main(argv=None):
    args = parse_args(argv)
    import django

    django.setup()
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1", HTTP_ACCEPT_LANGUAGE="en")
    for path in (f"/doctors/{args.doctor_id}/", "/doctors/"):
        for miss in (True, False):
            profile(client, path, doctor_id=args.doctor_id, miss=miss, repeat=args.repeat, show_all=args.show_all)
    return 0


if __name__ == "__main__":
    sys.exit(main())
