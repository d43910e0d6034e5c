"""Playing a county: a thread that steps and asks for a frame, one frame at a time.

The thread asks for a frame by setting a reactive value; the frame is then drawn either in the
same thread or, if a click is being drawn at that moment, by the thread drawing it. Stepping on
before that frame is drawn made the drawing thread redraw again and again until Solara gave up
("Too many renders triggered", which crashed compare mode's Play button): the thread waits for
the page to report each frame drawn (an effect, which runs once a render is complete).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import solara


class Pacer:
    """The frame a page asked for and the frame it has drawn."""

    def __init__(self) -> None:
        self.drawn = threading.Event()
        self.drawn.set()

    def asked(self) -> None:
        self.drawn.clear()

    def wait(self, cancel: threading.Event) -> None:
        """Until the frame is drawn, or the loop is cancelled (a closed page never draws it)."""
        while not self.drawn.wait(0.2):
            if cancel.is_set():
                return


def use_player(step: Callable[[], None], frame: solara.Reactive[int], playing: bool, key: object) -> None:
    """While ``playing``: step, ask for a frame (``frame`` + 1), wait until it is drawn, repeat.
    ``key`` identifies what is played (a new county restarts the loop)."""
    pacer = solara.use_memo(Pacer, [])

    def play(cancel: threading.Event) -> None:
        while playing and not cancel.is_set():
            step()
            pacer.asked()
            frame.set(frame.value + 1)
            pacer.wait(cancel)

    solara.use_thread(play, dependencies=[playing, key], intrusive_cancel=False)
    # runs after every completed render of a new frame, whichever thread drew it
    solara.use_effect(pacer.drawn.set, [frame.value])
