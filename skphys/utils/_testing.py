"""Helpers shared by skphys's tests and estimator checks (not public API)."""

import os
import signal

from skorch.callbacks import Callback

__all__ = ["PressCtrlC", "is_clear_error"]


class PressCtrlC(Callback):
    """Presses Ctrl-C (a real SIGINT to this process) at the end of iteration ``at``
    (``at=0``: when training begins). Works for skorch's loop and skphys's
    :class:`~skphys.base.IterationDriver` alike (both call ``on_epoch_end`` per iteration)."""

    def __init__(self, at):
        self.at = at

    def initialize(self):
        self.seen_ = 0
        return self

    def on_train_begin(self, net, **kwargs):
        if self.at == 0:
            os.kill(os.getpid(), signal.SIGINT)

    def on_epoch_end(self, net, **kwargs):
        self.seen_ += 1
        if self.seen_ == self.at:
            os.kill(os.getpid(), signal.SIGINT)


def is_clear_error(exc):
    """Whether ``exc`` is a scikit-learn-style error: a ValueError or TypeError raised from
    skphys's or scikit-learn's own code (not from inside torch, skorch or numpy)."""
    if not isinstance(exc, (ValueError, TypeError)):
        return False
    tb = exc.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    where = tb.tb_frame.f_code.co_filename
    return f"{os.sep}skphys{os.sep}" in where or f"{os.sep}sklearn{os.sep}" in where
