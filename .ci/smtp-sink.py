#!/usr/bin/env python3
"""A real SMTP server for Waymark's tests: aiosmtpd on loopback, keeping every message it is
given as a file in a directory, for the test to read.

    smtp-sink.py --dir DIR [--port PORT]

Listens on 127.0.0.1:PORT (0, the default: a free port) and prints "listening on PORT" once it
accepts connections. Each message is written whole to DIR/<time>-<n>.eml, as received (headers
and body), under a temporary name first, so a reader never sees half a message. Runs until
killed. Installed with .ci/tools.sh (ensure_aiosmtpd), which exports WAYMARK_SMTP_PYTHON.
"""

import argparse
import asyncio
import itertools
import os
import time

from aiosmtpd.smtp import SMTP


class Keep:
    def __init__(self, directory):
        self.directory = directory
        self.count = itertools.count(1)

    async def handle_DATA(self, server, session, envelope):
        name = f"{time.time_ns()}-{next(self.count)}"
        partial = os.path.join(self.directory, f".{name}.part")
        with open(partial, "wb") as out:
            out.write(envelope.original_content or envelope.content)
        os.rename(partial, os.path.join(self.directory, f"{name}.eml"))
        return "250 Message accepted for delivery"


async def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", required=True)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    handler = Keep(args.dir)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="waymark-test-sink"), "127.0.0.1", args.port
    )
    print(f"listening on {server.sockets[0].getsockname()[1]}", flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
