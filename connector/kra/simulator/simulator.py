"""The running simulator: start, inspect, change faults, stop; and the blocking CLI entry."""

from __future__ import annotations

import signal
import threading
from types import FrameType, TracebackType
from typing import Any

from connector.kra.simulator.auth import TokenIssuer
from connector.kra.simulator.config import FaultSettings, SimulatorConfig
from connector.kra.simulator.sales import read_back
from connector.kra.simulator.server import SimulatorHTTPServer
from connector.kra.simulator.state import Store


class Simulator:
    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        self.faults = FaultSettings.from_config(config)
        self.tokens = TokenIssuer(config.oauth_clients, config.token_ttl_seconds)
        self.stopping = threading.Event()  # wakes handlers that are sleeping (latency, held sales)
        self.store = Store(config.state_path)
        try:
            self._server = SimulatorHTTPServer((config.host, config.port), self)
        except OSError:
            self.store.close()
            raise
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
            name="kra-simulator",
        )
        self._stopped = False

    def start(self) -> Simulator:
        self._thread.start()
        return self

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        host = self.config.host if self.config.host not in ("", "0.0.0.0") else "127.0.0.1"
        return f"http://{host}:{self.port}"

    @property
    def legacy_base(self) -> str:
        return self.url + "/etims-api"

    @property
    def gavaconnect_base(self) -> str:
        return self.url + "/etims-oscu/api/v1"

    @property
    def token_url(self) -> str:
        return self.url + "/v1/token/generate"

    def set_faults(
        self,
        fault_rate: float | None = None,
        fault_codes: tuple[str, ...] | list[str] | None = None,
        commit_then_timeout_rate: float | None = None,
        latency_seconds: float | None = None,
        commit_then_timeout_seconds: float | None = None,
    ) -> None:
        """Change fault injection while running; arguments left as None keep their value."""
        self.faults.update(
            {
                "fault_rate": fault_rate,
                "fault_codes": fault_codes,
                "commit_then_timeout_rate": commit_then_timeout_rate,
                "latency_seconds": latency_seconds,
                "commit_then_timeout_seconds": commit_then_timeout_seconds,
            }
        )

    def signature_counts(self) -> dict[str, dict[int, int]]:
        """{"<tin>/<bhfId>": {invcNo: times signed}}; any count above 1 is a double signature."""
        return self.store.signature_counts()

    def sales(self, tin: str | None = None, bhf_id: str | None = None) -> list[dict[str, Any]]:
        """Stored sales with their receipt blocks, in the read-back shape."""
        records = self.store.records("sale", tin=tin or None, bhf_id=bhf_id or None)
        return [read_back(record.tin, record.bhf_id, record.body) for record in records]

    def reset(self) -> None:
        """Forget every device, item, sale and counter (fault settings and tokens stay)."""
        self.store.reset()

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self.stopping.set()
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()
        self.store.close()

    def __enter__(self) -> Simulator:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()


def start_simulator(config: SimulatorConfig | None = None) -> Simulator:
    """Start a simulator in a background thread; stop it with `stop()` or a `with` block."""
    return Simulator(config or SimulatorConfig()).start()


def serve_forever(config: SimulatorConfig) -> None:
    """Run in the foreground: print the URL, block until SIGINT/SIGTERM, shut down cleanly."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, on_signal)
    simulator = start_simulator(config)
    mode = "strict" if config.is_strict else "lenient"
    print(f"KRA eTIMS simulator ({config.profile}, {mode}) listening on {simulator.url}", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        simulator.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
