import asyncio
import signal

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Run the embedded MongoDB-compatible server (mongoeco) in the foreground, for development and tests."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=27027)
        parser.add_argument("--path", help="SQLite file to keep the data in; without it data lives in memory")

    def handle(self, *args, host, port, path, **options):
        try:
            from mongoeco.engines.memory import MemoryEngine
            from mongoeco.engines.sqlite import SQLiteEngine
            from mongoeco.wire import AsyncMongoEcoProxyServer
        except ImportError as exc:
            raise CommandError("mongoeco is not installed: it is a development tool (requirements-dev.txt)") from exc
        engine = SQLiteEngine(path) if path else MemoryEngine()
        asyncio.run(self._serve(AsyncMongoEcoProxyServer(engine=engine, host=host, port=port), path))

    async def _serve(self, server, path):
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        address = await server.start()
        where = path or "memory"
        self.stdout.write(f"embedded MongoDB listening on {address.host}:{address.port} ({where})", ending="\n")
        self.stdout.flush()
        try:
            await stop.wait()
        finally:
            await server.close()
