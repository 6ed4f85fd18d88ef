#!/usr/bin/env python3
"""A real SMTP server for intro's tests, built on aiosmtpd.

It listens on 127.0.0.1 on a port the kernel picks, prints "READY <port>" on
stdout once it accepts connections, and runs until SIGTERM or stdin closes.
Every event (connection, EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA) is appended
to --events as one JSON line, and each message is stored byte for byte as it
was received (after SMTP dot-unstuffing) in --store as 1.eml, 2.eml, ...
"""
import argparse
import asyncio
import base64
import json
import os
import signal
import ssl
import sys
import threading

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--tls", choices=["none", "starttls", "implicit"], default="none")
    p.add_argument("--cert", help="PEM file with the server certificate chain")
    p.add_argument("--key", help="PEM file with the server key")
    p.add_argument("--user", help="require AUTH with this user name")
    p.add_argument("--password", help="... and this password")
    p.add_argument("--token", help="accept XOAUTH2 with this bearer token")
    p.add_argument("--exclude-auth", action="append", default=[], help="mechanism not to offer")
    p.add_argument("--events", required=True)
    p.add_argument("--store", required=True)
    p.add_argument("--exit-on-stdin-eof", action="store_true")
    return p.parse_args()


class Recorder:
    def __init__(self, events_path, store):
        self.events = open(events_path, "a", buffering=1)
        self.store = store
        self.count = 0

    def log(self, event, **fields):
        fields["event"] = event
        self.events.write(json.dumps(fields) + "\n")


class Handler:
    def __init__(self, recorder, token):
        self.recorder = recorder
        self.token = token

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        # With an EHLO hook, aiosmtpd leaves remembering the name to the handler.
        session.host_name = hostname
        self.recorder.log("ehlo", hostname=hostname, tls=session.ssl is not None)
        return responses

    async def handle_STARTTLS(self, server, session, envelope):
        self.recorder.log("starttls")
        return True

    async def handle_MAIL(self, server, session, envelope, address, options):
        self.recorder.log("mail", address=address, authenticated=bool(session.authenticated))
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, options):
        self.recorder.log("rcpt", address=address)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.recorder.count += 1
        path = os.path.join(self.recorder.store, f"{self.recorder.count}.eml")
        with open(path, "wb") as f:
            f.write(envelope.original_content)
        self.recorder.log("data", file=path, sender=envelope.mail_from, recipients=envelope.rcpt_tos)
        return f"250 OK stored as {self.recorder.count}"

    async def auth_XOAUTH2(self, server, args):
        # RFC-less but widely used: base64("user=" U "\x01auth=Bearer " T "\x01\x01")
        if len(args) < 2:
            blob = await server.challenge_auth("", encode_to_b64=False)
        else:
            blob = base64.b64decode(args[1])
        fields = dict(
            part.split("=", 1) for part in blob.decode().split("\x01") if "=" in part
        )
        ok = self.token is not None and fields.get("auth") == f"Bearer {self.token}"
        self.recorder.log("auth", mechanism="XOAUTH2", ok=ok)
        return AuthResult(success=ok, handled=False)


class RecordingSMTP(SMTP):
    recorder = None

    def connection_made(self, transport):
        if self._original_transport is None and not getattr(self, "_counted", False):
            self._counted = True
            self.recorder.log("connect")
        super().connection_made(transport)


def main():
    args = parse_args()
    os.makedirs(args.store, exist_ok=True)
    recorder = Recorder(args.events, args.store)
    RecordingSMTP.recorder = recorder

    context = None
    if args.tls != "none":
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.cert, args.key)

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == args.user
            and auth_data.password.decode() == args.password
        )
        recorder.log("auth", mechanism=mechanism, ok=ok)
        # handled=False: aiosmtpd sends the 235 or 535 reply itself.
        return AuthResult(success=ok, handled=False)

    kwargs = dict(hostname="test.smtp.local", data_size_limit=None)
    if args.tls == "starttls":
        kwargs.update(tls_context=context, require_starttls=True)
    if args.user or args.token:
        kwargs.update(auth_required=True, authenticator=authenticator,
                      # aiosmtpd only knows TLS it started itself (STARTTLS);
                      # with implicit TLS the whole connection is encrypted anyway.
                      auth_require_tls=args.tls == "starttls",
                      auth_exclude_mechanism=args.exclude_auth)
    handler = Handler(recorder, args.token)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)

    def factory():
        return RecordingSMTP(handler, loop=loop, **kwargs)

    server = loop.run_until_complete(loop.create_server(
        factory, host="127.0.0.1", port=0,
        ssl=context if args.tls == "implicit" else None))
    port = server.sockets[0].getsockname()[1]

    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, lambda: stop.done() or stop.set_result(None))
    loop.add_signal_handler(signal.SIGINT, lambda: stop.done() or stop.set_result(None))
    if args.exit_on_stdin_eof:
        # If the test process dies, its end of the pipe closes and the server goes too.
        def watch_stdin():
            while os.read(0, 4096):
                pass
            loop.call_soon_threadsafe(lambda: stop.done() or stop.set_result(None))
        threading.Thread(target=watch_stdin, daemon=True).start()

    print(f"READY {port}", flush=True)
    loop.run_until_complete(stop)
    server.close()
    recorder.events.close()
    # Nothing is left to flush: end now rather than wait for open client connections.
    os._exit(0)


if __name__ == "__main__":
    main()
