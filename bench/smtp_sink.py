"""A local SMTP sink (aiosmtpd) that accepts and counts messages, then forgets them.

Runs with the benchmark's virtualenv (aiosmtpd is not a project dependency):

    var/bench-venv/bin/python -P bench/smtp_sink.py PORT

Listens on 127.0.0.1 only. On SIGTERM or SIGINT it prints {"messages": n, "bytes": n} and exits.
"""

from __future__ import annotations

import json
import signal
import sys
import threading

from aiosmtpd.controller import Controller


class CountingHandler:
    def __init__(self) -> None:
        self.messages = 0
        self.bytes = 0
        self.recipients = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages += 1
        self.bytes += len(envelope.content or b"")
        self.recipients += len(envelope.rcpt_tos)
        return "250 Message accepted for delivery"


def main() -> None:
    port = int(sys.argv[1])
    handler = CountingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=port, server_hostname="bench-sink.localhost")
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()
    print(json.dumps({"messages": handler.messages, "bytes": handler.bytes, "recipients": handler.recipients}))


if __name__ == "__main__":
    main()
