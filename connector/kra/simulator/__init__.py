"""A local HTTP server that behaves like the KRA eTIMS OSCU sandbox (legacy and GavaConnect routes).

    from connector.kra.simulator import SimulatorConfig, start_simulator
    with start_simulator(SimulatorConfig(profile="gavaconnect")) as sim:
        ...  # talk to sim.legacy_base / sim.gavaconnect_base / sim.token_url

It shares no code with the connector's KRA client: it is the independent other side of the wire.
"""

from connector.kra.simulator.config import SimulatorConfig
from connector.kra.simulator.simulator import Simulator, serve_forever, start_simulator

__all__ = ["Simulator", "SimulatorConfig", "serve_forever", "start_simulator"]
