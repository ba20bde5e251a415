"""A simulated contact centre that speaks AMI like Asterisk 22 (docs/demo.md).

    world = World(build_roster(agents=8, queues=2), demo_profile(8), seed=7)
    server = SimulatorServer(world, secret="s3cret", speed=10)   # then: await server.start()

clock (simulated time) -> world (queues, agents, callers; inbound, originate, people, routing)
-> events (AMI event dicts) -> server (AMI over TCP) and actions (the AMI actions it answers).
"""

from pbx_bridge.simulator.roster import Roster, build_roster
from pbx_bridge.simulator.server import SimulatorServer
from pbx_bridge.simulator.traffic import Profile, demo_profile, load_profile
from pbx_bridge.simulator.world import World

__all__ = ["Profile", "Roster", "SimulatorServer", "World", "build_roster", "demo_profile", "load_profile"]
