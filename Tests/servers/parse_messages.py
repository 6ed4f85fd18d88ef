#!/usr/bin/env python3
"""The oracle for intro's composer: parses each .eml file named on stdin
(one path a line) with Python's email package under the strict policy and
prints one JSON object a line: the decoded headers, addresses and body, or
the error the strict parser raised.
"""
import email
import email.header
import email.policy
import json
import sys


def addresses(msg, name):
    header = msg[name]
    if header is None:
        return None
    return [{"name": a.display_name, "addr": a.addr_spec} for a in header.addresses]


def raw_header(raw, name):
    """The unfolded raw value of the first header `name`, as ASCII text."""
    head = raw.split(b"\r\n\r\n", 1)[0]
    value = None
    for line in head.split(b"\r\n"):
        if value is not None:
            if line[:1] in (b" ", b"\t"):
                value += line
                continue
            break
        if line.lower().startswith(name.lower() + b":"):
            value = line[len(name) + 1:].lstrip()
    return (value or b"").decode("ascii", "replace")


def rfc2047_name(raw_value):
    """The display name of a one-mailbox header decoded by RFC 2047 alone.

    CPython's structured-header parser keeps the white space between two
    encoded words of a display name (RFC 2047 section 6.2 says to drop it), so
    a long name split over several encoded words comes back with spaces in
    it. The legacy decoder follows the RFC; it is used for such names.
    """
    phrase = raw_value.rsplit("<", 1)[0].strip()
    if "=?" not in phrase:
        return None
    return str(email.header.make_header(email.header.decode_header(phrase)))


for path in sys.stdin.read().splitlines():
    with open(path, "rb") as f:
        raw = f.read()
    result = {"path": path}
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.strict)
        result.update({
            "headers": [k for k, _ in msg.raw_items()],
            "from": addresses(msg, "From"),
            "to": addresses(msg, "To"),
            "to_rfc2047_name": rfc2047_name(raw_header(raw, b"To")),
            "cc": addresses(msg, "Cc"),
            "subject": str(msg["Subject"]) if msg["Subject"] is not None else None,
            "body": msg.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n"),
            "html": (lambda part: part.get_content().replace("\r\n", "\n") if part is not None else None)(
                msg.get_body(preferencelist=("html",))),
            "attachments": [
                {"filename": part.get_filename(), "content_type": part.get_content_type(),
                 "data": list(part.get_payload(decode=True))}
                for part in msg.iter_attachments()
            ],
            "defects": [str(d) for d in msg.defects],
        })
    except Exception as error:  # the strict policy raises on any defect
        result["error"] = f"{type(error).__name__}: {error}"
    lines = raw.split(b"\r\n")
    result["longest_line"] = max(len(line) for line in lines)
    result["crlf_only"] = b"\r" not in raw.replace(b"\r\n", b"") and b"\n" not in raw.replace(b"\r\n", b"")
    print(json.dumps(result, ensure_ascii=False), flush=True)
