"""Plain data and thread plumbing shared by every layer: frames, masks, mailboxes, stats, worker lifecycle."""

from studio.core.errors import StudioError
from studio.core.frame import Frame, Mask
from studio.core.mailbox import LatestSlot
from studio.core.stats import LatencyWindow, RateMeter
from studio.core.worker import Worker, WorkerState

__all__ = ["Frame", "LatencyWindow", "LatestSlot", "Mask", "RateMeter", "StudioError", "Worker", "WorkerState"]
