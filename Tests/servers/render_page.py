#!/usr/bin/env python3
"""Opens an HTML file in headless Chromium and reports what a reader would meet.

Usage: render_page.py FILE.html [SCREENSHOT.png]

Prints one JSON object: every console message, log entry (a Content Security
Policy violation lands there) and uncaught exception, and the id, width and
height of every <svg> as laid out. Chromium is driven over its DevTools
protocol on a loopback port and stopped afterwards; the whole run is bounded.
"""
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    page = os.path.abspath(sys.argv[1])
    screenshot = sys.argv[2] if len(sys.argv) > 2 else None
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if not binary:
        print(json.dumps({"error": "chromium is not installed (make test installs it)"}))
        return 2
    port = free_port()
    profile = tempfile.mkdtemp(prefix="intro-chromium-")
    process = subprocess.Popen(
        [binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--remote-debugging-address=127.0.0.1", f"--remote-debugging-port={port}",
         f"--user-data-dir={profile}", "--window-size=1000,1400", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        target = None
        deadline = time.time() + 30
        while time.time() < deadline and target is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=2) as reply:
                    pages = [t for t in json.load(reply) if t.get("type") == "page"]
                    target = pages[0] if pages else None
            except OSError:
                time.sleep(0.2)
        if target is None:
            print(json.dumps({"error": "chromium did not start"}))
            return 2
        ws = websocket.create_connection(target["webSocketDebuggerUrl"], timeout=20)
        counter = [0]
        events = []

        def call(method, **params):
            counter[0] += 1
            ws.send(json.dumps({"id": counter[0], "method": method, "params": params}))
            while True:
                message = json.loads(ws.recv())
                if message.get("id") == counter[0]:
                    return message.get("result", {})
                events.append(message)

        call("Runtime.enable")
        call("Log.enable")
        call("Page.enable")
        call("Page.navigate", url="file://" + page)
        loaded = False
        deadline = time.time() + 20
        while time.time() < deadline and not loaded:
            message = json.loads(ws.recv())
            events.append(message)
            loaded = message.get("method") == "Page.loadEventFired"
        time.sleep(0.3)
        sizes = call(
            "Runtime.evaluate", returnByValue=True,
            expression="Array.from(document.querySelectorAll('svg')).map(s => "
                       "{ const r = s.getBoundingClientRect(); return {id: s.id, width: r.width, height: r.height}; })")
        if screenshot:
            shot = call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
            with open(screenshot, "wb") as out:
                out.write(base64.b64decode(shot.get("data", "")))
        problems = []
        for event in events:
            method = event.get("method")
            params = event.get("params", {})
            if method == "Runtime.consoleAPICalled":
                problems.append("console: " + " ".join(str(a.get("value")) for a in params.get("args", [])))
            elif method == "Runtime.exceptionThrown":
                problems.append("exception: " + json.dumps(params.get("exceptionDetails", {}))[:300])
            elif method == "Log.entryAdded":
                entry = params.get("entry", {})
                problems.append(f"log {entry.get('level')}: {entry.get('text')}")
        print(json.dumps({"loaded": loaded, "problems": problems,
                          "svgs": sizes.get("result", {}).get("value", [])}))
        ws.close()
        return 0
    finally:
        process.kill()
        process.wait(timeout=10)
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
