"""The recorder: turns domain events from the PBX into AIIVR's records."""

from aiivr.recorder.core import Recorder

__all__ = ["Recorder"]
