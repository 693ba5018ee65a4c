"""The one way the tests wait: for a condition, bounded, failing with the last state seen."""

import http.client
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(
    probe: Callable[[], T], done: Callable[[T], bool], what: str, seconds: float = 30
) -> T:
    """probe's value once done holds for it, trying every 0.1 s; an OSError or an HTTP
    answer cut short (a server restarting mid-response) counts as not yet. Fails after
    seconds, naming what it waited for and the last value seen."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            last: T | Exception = probe()
            if done(last):
                return last
        except (OSError, http.client.HTTPException) as error:
            last = error
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {seconds} s; last seen:\n{last}"[-6000:])
        time.sleep(0.1)
