"""Feed a recorded AMI capture through the translator.

A capture is JSON Lines: one AMI message per line as an object of header -> str (or list of str
for a repeated header), as the reference lab's probe writes them. Extra keys starting with "_"
are the recorder's notes: `_rx` (epoch seconds the message arrived; the translator's fallback
time), `_kind` (event or response) and `_segment` (which part of a scripted run).

    python -m pbx_bridge.replay tests/fixtures/asterisk22-sample-events.jsonl [--segment scenario]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from aiivr.events import DomainEvent
from pbx_bridge.translator import Translator


def read_capture(path: str | Path, segment: str | None = None) -> Iterator[dict[str, object]]:
    """The messages in a capture, in order. Lines that are not JSON objects are skipped: a capture
    cut short by a crash still replays up to where it ends."""
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if not isinstance(message, dict):
                continue
            if segment is not None and message.get("_segment") != segment:
                continue
            yield message


def replay(messages: Iterable[dict[str, object]], translator: Translator | None = None) -> Iterator[DomainEvent]:
    """The domain events the messages mean, in order."""
    translate = (translator or Translator()).translate
    for message in messages:
        yield from translate(message)


def replay_file(
    path: str | Path, translator: Translator | None = None, segment: str | None = None
) -> list[DomainEvent]:
    return list(replay(read_capture(path, segment), translator))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("capture", type=Path)
    parser.add_argument("--segment", help="only messages whose _segment is this")
    args = parser.parse_args(argv)
    for event in replay(read_capture(args.capture, args.segment)):
        print(event)


if __name__ == "__main__":
    main()
