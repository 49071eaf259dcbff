"""Helpers shared by the tests."""

import threading
import time


class Recorder:
    """A kazoo watch function that records events and lets a test wait for them."""

    def __init__(self):
        self.events = []
        self.cond = threading.Condition()

    def __call__(self, event):
        with self.cond:
            self.events.append(event)
            self.cond.notify_all()

    def wait(self, count=1, timeout=10.0):
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.events) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.cond.wait(left)
            return list(self.events)


def wait_until(pred, timeout=10.0, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step)
    return pred()
