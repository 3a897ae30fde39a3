"""`deepgram-tray serve` as a real process: started on a free loopback port, scraped over HTTP,
stopped with SIGTERM as a service manager would."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from tests.support.waiting import wait_until

LISTENING = re.compile(r"Serving Deepgram balances on (http://\S+)/metrics")


class ExporterProcess:
    def __init__(
        self,
        env: dict[str, str],
        folder: Path,
        *,
        listen: str = "127.0.0.1:0",
        program: list[str] | None = None,
    ) -> None:
        """`program`: another build of the app (the bundle) instead of this Python's."""
        folder.mkdir(parents=True, exist_ok=True)
        self._out_path, self._err_path = folder / "serve.out", folder / "serve.err"
        with open(self._out_path, "wb") as out, open(self._err_path, "wb") as err:
            self.process = subprocess.Popen(
                [*(program or [sys.executable, "-m", "trayapp"]), "serve", "--listen", listen],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
            )
        try:
            found = wait_until(
                lambda: LISTENING.search(self.stdout()) or self.process.poll() is not None,
                what="serve to say where it listens",
            )
        except BaseException:
            self.kill()
            raise
        if not isinstance(found, re.Match):
            raise AssertionError(f"serve exited at start: {self.stderr()}")
        self.url = found.group(1)

    def stdout(self) -> str:
        return self._out_path.read_text(encoding="utf-8", errors="replace")

    def stderr(self) -> str:
        return self._err_path.read_text(encoding="utf-8", errors="replace")

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=10) as response:
                return response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8")

    def metrics(self) -> dict[str, list[tuple[dict[str, str], float]]]:
        """Every sample of /metrics by series name, parsed by Prometheus's own client parser."""
        status, text = self.get("/metrics")
        assert status == 200, text
        samples: dict[str, list[tuple[dict[str, str], float]]] = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                samples.setdefault(sample.name, []).append((dict(sample.labels), sample.value))
        return samples

    def health(self) -> tuple[int, dict[str, object]]:
        status, body = self.get("/healthz")
        return status, json.loads(body)

    def stop(self, timeout: float = 20) -> int:
        """SIGTERM, then wait for the exit; killed if it does not exit in time (and failed)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("serve did not stop on SIGTERM") from None

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(30)
