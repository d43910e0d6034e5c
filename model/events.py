"""What happens during a day, as named events others can subscribe to.

The visual draws referral flows, calibration counts the bills it needs and tests watch a stage,
by subscribing to the model's events rather than by overriding its stages::

    model.events.subscribe("referral", on_referral)   # on_referral(day=..., eps=..., ...)

Each event passes keyword arrays (one entry per episode) that are valid during the call only:
copy what you keep. An event nobody subscribes to costs one dictionary look-up, so the engine
emits them from its hot paths. The payload of each event is listed in ``EVENTS``.
"""

from __future__ import annotations

from collections.abc import Callable

# name -> the keywords its subscribers are called with (besides ``day``)
EVENTS: dict[str, tuple[str, ...]] = {
    # care-seeking decisions made today: facility -1 for self-care or giving up; first is the
    # episode's first decision; letter whether it held a referral letter
    "choice": ("eps", "facility", "first", "letter", "severity", "home"),
    # referral letters written at ``facility`` to ``tier``
    "referral": ("eps", "facility", "tier"),
    # patients given a bed at ``facility``
    "admission": ("eps", "facility"),
    # recovering inpatients moved from ``origin``'s bed to ``facility``'s
    "down_referral": ("eps", "origin", "facility"),
    # a stay's bed-days billed at ``facility``: the bill, what the resident paid and what the
    # payer (fund, or consortium under capitation) paid, by the patient's insurance ``scheme``
    "stay_bill": ("eps", "facility", "scheme", "bill", "oop", "paid"),
    # a scenario field changed (the timeline or a person): its path and the values before and after
    "lever": ("path", "old", "new"),
}


class Events:
    """Subscribers by event name; ``emit`` calls them in the order they subscribed."""

    def __init__(self) -> None:
        self._subscribers: dict[str, list[Callable[..., None]]] = {name: [] for name in EVENTS}

    def subscribe(self, name: str, fn: Callable[..., None]) -> None:
        if name not in self._subscribers:
            raise ValueError(f"unknown event '{name}' (events: {', '.join(EVENTS)})")
        self._subscribers[name].append(fn)

    def unsubscribe(self, name: str, fn: Callable[..., None]) -> None:
        self._subscribers[name].remove(fn)

    def wanted(self, name: str) -> bool:
        """Whether anyone listens: callers skip building a payload nobody reads."""
        return bool(self._subscribers[name])

    def emit(self, name: str, **payload) -> None:
        for fn in self._subscribers[name]:
            fn(**payload)
