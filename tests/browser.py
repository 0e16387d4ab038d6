"""A headless Chromium driven over its DevTools protocol, for the viewer's browser tests and
bench/viewer.py. `from tests.browser import Chromium, find_chromium`.

Chromium runs with a fresh profile, no sandbox (CI runs as root), no GPU, and every
background service off (no network traffic of its own). The page's console errors and
uncaught exceptions are collected, so a test can assert there were none.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request
from typing import Any

import websocket  # the `websocket-client` package (test extra)

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--disable-extensions", "--mute-audio",
         "--remote-debugging-port=0", "--remote-allow-origins=*"]


def find_chromium() -> str | None:
    """The Chromium executable ($CHROMIUM, or chromium / chromium-browser on PATH)."""
    env = os.environ.get("CHROMIUM")
    if env and os.path.exists(env):
        return env
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Chromium:
    """One headless browser with one page; use as a context manager."""

    def __init__(self, executable: str | None = None, width: int = 1280, height: int = 800,
                 timeout: float = 60.0) -> None:
        exe = executable or find_chromium()
        if exe is None:
            raise RuntimeError("Chromium is not installed (apt-get install chromium)")
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="symgraph-chromium-")
        self.proc = subprocess.Popen(
            [exe, *FLAGS, f"--user-data-dir={self.profile}", f"--window-size={width},{height}",
             "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        port = self._port()
        self.ws = websocket.create_connection(self._page_socket(port), timeout=timeout)
        self._id = 0
        self.events: list[dict] = []
        self.errors: list[str] = []
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable")

    def _port(self) -> int:
        deadline = time.time() + self.timeout
        assert self.proc.stderr is not None
        while time.time() < deadline:
            line = self.proc.stderr.readline()
            if not line and self.proc.poll() is not None:
                raise RuntimeError(f"Chromium exited with {self.proc.returncode}")
            m = re.search(r"DevTools listening on ws://[^:]+:(\d+)/", line)
            if m:
                return int(m.group(1))
        raise RuntimeError("Chromium did not open its DevTools port")

    def _page_socket(self, port: int) -> str:
        deadline = time.time() + self.timeout
        while time.time() < deadline:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list") as r:
                pages = [t for t in json.load(r) if t.get("type") == "page"]
            if pages:
                return pages[0]["webSocketDebuggerUrl"]
            time.sleep(0.05)
        raise RuntimeError("Chromium has no page to drive")

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        try:
            self.ws.close()
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            shutil.rmtree(self.profile, ignore_errors=True)

    # ---- the protocol
    def call(self, method: str, **params: Any) -> dict:
        """Send one command and wait for its answer (events meanwhile are recorded)."""
        self._id += 1
        my_id = self._id
        self.ws.send(json.dumps({"id": my_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == my_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self._event(msg)

    def _event(self, msg: dict) -> None:
        self.events.append(msg)
        method, params = msg.get("method"), msg.get("params", {})
        if method == "Runtime.exceptionThrown":
            d = params["exceptionDetails"]
            self.errors.append(d.get("exception", {}).get("description") or d.get("text", ""))
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            self.errors.append(" ".join(str(a.get("value", a.get("description")))
                                        for a in params.get("args", [])))
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            self.errors.append(params["entry"].get("text", ""))

    def wait_event(self, method: str) -> dict:
        """The next event called `method` (earlier recorded ones do not count)."""
        start = len(self.events)
        deadline = time.time() + self.timeout
        while time.time() < deadline:
            for msg in self.events[start:]:
                if msg.get("method") == method:
                    return msg
            start = len(self.events)
            self._event(json.loads(self.ws.recv()))
        raise TimeoutError(f"no {method} within {self.timeout} s")

    # ---- conveniences
    def open(self, url: str) -> float:
        """Navigate and wait for the load event; returns the seconds it took."""
        start = time.perf_counter()
        self.call("Page.navigate", url=url)
        self.wait_event("Page.loadEventFired")
        return time.perf_counter() - start

    def js(self, expression: str) -> Any:
        """Evaluate `expression` in the page and return its value (JSON-able)."""
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True,
                      awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expression}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def click(self, x: float, y: float) -> None:
        """A real mouse click (press and release) at page coordinates."""
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left",
                      clickCount=1)

    def type_text(self, selector: str, text: str, enter: bool = False) -> None:
        """Focus an input and type into it (Enter afterwards when asked)."""
        self.js(f"document.querySelector({json.dumps(selector)}).focus()")
        self.call("Input.insertText", text=text)
        if enter:
            for kind in ("keyDown", "keyUp"):
                self.call("Input.dispatchKeyEvent", type=kind, key="Enter", code="Enter",
                          windowsVirtualKeyCode=13, nativeVirtualKeyCode=13)

    def screenshot(self, clip: dict | None = None) -> bytes:
        """A PNG of the viewport, or of `clip` ({x, y, width, height, scale})."""
        params: dict[str, Any] = {"format": "png"}
        if clip:
            params["clip"] = clip
        return base64.b64decode(self.call("Page.captureScreenshot", **params)["data"])


def png_pixels(data: bytes) -> Any:
    """Decode an 8-bit RGB/RGBA PNG (what Chromium's screenshots are) into a NumPy array of
    shape (height, width, channels), so tests can count pixels without an image library."""
    import struct
    import zlib

    import numpy as np
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + length
    assert header is not None
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    ch = 3 if colour == 2 else 4
    raw = np.frombuffer(zlib.decompress(b"".join(idat)), np.uint8).reshape(height, -1)
    out = np.zeros((height, width * ch), np.int32)
    prev = np.zeros(width * ch, np.int32)
    for y in range(height):
        kind, line = raw[y, 0], raw[y, 1:].astype(np.int32)
        if kind == 0:
            cur = line
        elif kind == 2:
            cur = (line + prev) & 255
        else:  # 1 (sub), 3 (average), 4 (Paeth) depend on the pixel to the left
            line, up = line.reshape(width, ch), prev.reshape(width, ch)
            cur = np.zeros_like(line)
            a = np.zeros(ch, np.int32)
            for x in range(width):
                b, c = up[x], (up[x - 1] if x else np.zeros(ch, np.int32))
                if kind == 1:
                    pred = a
                elif kind == 3:
                    pred = (a + b) // 2
                else:
                    p = a + b - c
                    pa, pb, pc = np.abs(p - a), np.abs(p - b), np.abs(p - c)
                    pred = np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c))
                a = cur[x] = (line[x] + pred) & 255
            cur = cur.reshape(-1)
        out[y] = cur
        prev = cur
    return out.reshape(height, width, ch).astype(np.uint8)
