"""Loaded only into test workers (celery worker --include): an outbox handler slow enough to be killed in."""

import time

from core import outbox
from members import notifications


@outbox.handler("slow_notify")
def slow_notify(payload: dict) -> None:
    notifications.deliver(payload["event"], payload["key"], payload["recipients"], payload["params"], payload["url"])
    print("slow_notify: inserted, now sleeping", flush=True)  # noqa: T201 - the test waits for this line
    time.sleep(float(payload.get("sleep", 5)))
