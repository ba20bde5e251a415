"""How fast the AMI translator is: the reference capture replayed many times on one core.

    .venv/bin/python bench/translator.py [--rounds 50] [--capture FILE]

Prints AMI messages/s and domain events/s, for plain dicts (what replay and a dict-converting
transport pass) and for panoramisk Message objects (what the live transport receives: each header
read lowercases its key). Figures only: no test asserts on time.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pbx_bridge.replay import read_capture  # noqa: E402
from pbx_bridge.translator import Translator  # noqa: E402

DEFAULT_CAPTURE = ROOT / "tests" / "fixtures" / "asterisk22-sample-events.jsonl"


def measure(messages: list, rounds: int) -> tuple[float, float]:
    translate = Translator().translate
    best = float("inf")
    produced = 0
    for _ in range(3):  # best of three, so a noisy neighbour does not decide the figure
        gc.collect()
        produced = 0
        started = time.perf_counter()
        for _ in range(rounds):
            for message in messages:
                produced += len(translate(message))
        best = min(best, time.perf_counter() - started)
    return rounds * len(messages) / best, produced / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--capture", type=Path, default=DEFAULT_CAPTURE)
    args = parser.parse_args()

    messages = list(read_capture(args.capture))
    print(f"capture: {args.capture.name}, {len(messages)} messages x {args.rounds} rounds")
    print(f"{'input':<20} {'messages/s':>12} {'domain events/s':>16} {'us/message':>11}")
    kinds = [("dict", messages)]
    try:
        from panoramisk.message import Message
    except ImportError:
        pass
    else:
        kinds.append(("panoramisk Message", [Message(m) for m in messages]))
    for name, inputs in kinds:
        per_second, events_per_second = measure(inputs, args.rounds)
        print(f"{name:<20} {per_second:>12,.0f} {events_per_second:>16,.0f} {1e6 / per_second:>11.2f}")


if __name__ == "__main__":
    main()
