"""Work that must e-mail nobody, such as loading demo data: `with emails_muted(): ...`.

Notifications recorded inside the block still reach the inbox, but are marked in-app only when they are
recorded (the flag travels with the outbox event, so a worker that processes it later sends nothing either).
"""

import contextlib
from contextvars import ContextVar

_muted: ContextVar[bool] = ContextVar("wastex_emails_muted", default=False)


@contextlib.contextmanager
def emails_muted():
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


def emails_are_muted() -> bool:
    return _muted.get()
