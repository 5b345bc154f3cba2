"""`make run`'s `chalice local` takes a burst of 100 simultaneous connections, none reset.

socketserver's default listen backlog (5) resets the rest before the app sees them;
chalicelib/local_server.py raises it, for `make run` and every e2e stack alike.
"""

from __future__ import annotations

import threading

import requests

from tests.helpers.stack import Stack

BURST = 100


def test_a_burst_of_100_connections_is_answered_without_a_reset(stack: Stack) -> None:
    start = threading.Barrier(BURST)
    answers: list[int | str] = [0] * BURST

    def fetch(index: int) -> None:
        start.wait()
        try:
            answers[index] = requests.get(f"{stack.issuer}/jwks.json", timeout=60).status_code
        except requests.RequestException as exc:
            answers[index] = type(exc).__name__

    threads = [threading.Thread(target=fetch, args=(i,)) for i in range(BURST)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [200] * BURST
