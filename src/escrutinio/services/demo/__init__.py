"""The demo night: a synthetic election shaped like Venezuela's 2007 referendum, replayed."""

from .generate import Night, generate
from .replay import ReplayReport, run_demo

__all__ = ["Night", "ReplayReport", "generate", "run_demo"]
