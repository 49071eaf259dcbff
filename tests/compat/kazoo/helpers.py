"""Helpers shared by the tests."""

import threading
import time

from kazoo.security import make_digest_acl

# Restrictive ACLs in the tests also grant everything to this id, and the `root` fixture
# authenticates as it, so every test's subtree can be deleted afterwards.
CLEANER_AUTH = "compat-cleanup:cleanup"
CLEANER_ACL = make_digest_acl("compat-cleanup", "cleanup", all=True)


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
