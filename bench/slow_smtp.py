"""A deliberately slow SMTP server for the booking benchmark (stdlib only).

It accepts connections and answers the SMTP dialogue (greeting, EHLO/HELO,
MAIL, RCPT, DATA, the message, RSET, NOOP, QUIT) after waiting ``--delay``
seconds before every reply, or never answers at all with ``--silent`` (then
the client's own timeout decides). ``--delay 0`` is a fast SMTP server.
Messages are discarded; each accepted one is counted and logged on stdout.

    .venv/bin/python bench/slow_smtp.py --port 2525 --delay 2
    .venv/bin/python bench/slow_smtp.py --port 2525 --delay 0      # fast
    .venv/bin/python bench/slow_smtp.py --port 2525 --silent       # never answers

Point Medly at it with EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend
EMAIL_HOST=127.0.0.1 EMAIL_PORT=2525.
"""

import argparse
import asyncio
import time


class Stats:
    def __init__(self):
        self.connections = 0
        self.messages = 0


async def handle(reader, writer, delay, silent, stats):
    stats.connections += 1

    async def reply(line):
        if delay:
            await asyncio.sleep(delay)
        writer.write(line.encode("ascii") + b"\r\n")
        await writer.drain()

    try:
        if silent:
            # Read and drop whatever arrives, never answer, until the client gives up.
            while await reader.read(4096):
                pass
            return
        await reply("220 slow-smtp ESMTP ready")
        while True:
            raw = await reader.readline()
            if not raw:
                return
            verb = raw.decode("ascii", "replace").strip().split(" ", 1)[0].upper()
            if verb == "EHLO":
                await reply("250-slow-smtp\r\n250 8BITMIME")
            elif verb in ("HELO", "MAIL", "RCPT", "RSET", "NOOP"):
                await reply("250 OK")
            elif verb == "DATA":
                await reply("354 End data with <CR><LF>.<CR><LF>")
                while True:
                    line = await reader.readline()
                    if not line or line in (b".\r\n", b".\n"):
                        break
                stats.messages += 1
                print(f"{time.time():.3f} message {stats.messages}", flush=True)
                await reply("250 OK queued")
            elif verb == "QUIT":
                await reply("221 Bye")
                return
            else:
                await reply("502 Command not implemented")
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


async def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2525)
    parser.add_argument("--delay", type=float, default=2.0, help="seconds before every reply (default 2)")
    parser.add_argument("--silent", action="store_true", help="accept connections and never answer")
    args = parser.parse_args()
    stats = Stats()
    server = await asyncio.start_server(
        lambda r, w: handle(r, w, args.delay, args.silent, stats), args.host, args.port, backlog=1024
    )
    mode = "silent" if args.silent else f"delay {args.delay} s per reply"
    print(f"slow_smtp on {args.host}:{args.port}, {mode}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
