"""Headless Chromium driven over the DevTools protocol: open a page, watch it, screenshot it.

Chromium (Debian's ``chromium`` package) starts with a DevTools port of its
choosing, written to ``DevToolsActivePort`` in its profile folder; the page
target is reached over a WebSocket (``websocket-client``, already in the
pinned set). While the page loads, the session records uncaught script
exceptions, console and log errors, and every request the page makes.
"""

import base64
import json
import os
import shutil
import subprocess
import time
import urllib.request
from typing import Any, Dict, List, Optional

import websocket

BINARIES = ("chromium", "chromium-browser", "google-chrome")
_START_SECONDS = 60
_LOAD_SECONDS = 120


def find_binary() -> Optional[str]:
    """The Chromium executable on PATH, or None."""
    return next((path for path in map(shutil.which, BINARIES) if path), None)


class Page:
    """One page in a headless Chromium of its own.

    Attributes:
      exceptions: Uncaught script exceptions (their text).
      errors: Console errors and browser log errors (their text).
      requests: Every URL the page requested.
    """

    def __init__(self, binary: str, profile_dir: str, width: int = 1280, height: int = 900):
        """Starts Chromium with a blank page.

        Args:
          binary: The Chromium executable.
          profile_dir: An empty folder for its profile.
          width: Viewport width (CSS pixels).
          height: Viewport height.

        Raises:
          TimeoutError: If Chromium does not open its DevTools port in time.
        """
        self.exceptions: List[str] = []
        self.errors: List[str] = []
        self.requests: List[str] = []
        self._next_id = 0
        self._events: List[Dict[str, Any]] = []
        self._process = subprocess.Popen(  # pylint: disable=consider-using-with
            [
                binary, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-extensions", "--remote-debugging-port=0",
                f"--user-data-dir={profile_dir}", f"--window-size={width},{height}", "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port = self._devtools_port(profile_dir)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30) as answer:
            targets = json.load(answer)
        url = next(target["webSocketDebuggerUrl"] for target in targets if target["type"] == "page")
        self._socket = websocket.create_connection(url, timeout=_LOAD_SECONDS, suppress_origin=True)
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable")
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height,
                  deviceScaleFactor=1, mobile=False)

    def _devtools_port(self, profile_dir: str) -> int:
        path = os.path.join(profile_dir, "DevToolsActivePort")
        deadline = time.monotonic() + _START_SECONDS
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"Chromium exited with status {self._process.returncode}")
            if os.path.exists(path):
                with open(path, encoding="utf-8") as handle:
                    first = handle.readline().strip()
                if first:
                    return int(first)
            time.sleep(0.2)
        raise TimeoutError(f"Chromium wrote no {path} within {_START_SECONDS} s")

    def _receive(self) -> Dict[str, Any]:
        message = json.loads(self._socket.recv())
        method = message.get("method")
        params = message.get("params", {})
        if method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            self.exceptions.append(details.get("exception", {}).get("description") or details["text"])
        elif method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
            self.errors.append(" ".join(str(arg.get("value", arg.get("description"))) for arg in params["args"]))
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            self.errors.append(params["entry"]["text"])
        elif method == "Network.requestWillBeSent":
            self.requests.append(params["request"]["url"])
        if method:
            self._events.append(message)
        return message

    def call(self, method: str, **params: Any) -> Dict[str, Any]:
        """Sends one DevTools command and waits for its result.

        Args:
          method: The command, e.g. ``Page.navigate``.
          **params: Its parameters.

        Returns:
          The command's result.

        Raises:
          RuntimeError: If the browser answers with an error.
        """
        self._next_id += 1
        self._socket.send(json.dumps({"id": self._next_id, "method": method, "params": params}))
        while True:
            message = self._receive()
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]

    def open(self, url: str) -> None:
        """Navigates to a URL and waits for its load event."""
        self._events.clear()
        self.call("Page.navigate", url=url)
        deadline = time.monotonic() + _LOAD_SECONDS
        while not any(event["method"] == "Page.loadEventFired" for event in self._events):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not load within {_LOAD_SECONDS} s")
            self._receive()

    def evaluate(self, expression: str) -> Any:
        """The JSON value of a script expression run in the page."""
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path: str) -> None:
        """Saves a PNG of the whole page (beyond the viewport)."""
        size = self.call("Page.getLayoutMetrics")["cssContentSize"]
        shot = self.call(
            "Page.captureScreenshot", format="png", captureBeyondViewport=True,
            clip={"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1},
        )
        with open(path, "wb") as handle:
            handle.write(base64.b64decode(shot["data"]))

    def close(self) -> None:
        """Closes the connection and stops Chromium."""
        self._socket.close()
        self._process.terminate()
        self._process.wait(timeout=30)
