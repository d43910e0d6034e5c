"""Smallest SolaraViz app for the browser-harness proof test.

Run it by hand with: solara run tests/browser/apps/tiny_app.py
"""

import mesa
import solara
from mesa.visualization import SolaraViz, make_plot_component


class CounterModel(mesa.Model):
    """A model whose only state is a counter that each step raises by ``increment``."""

    def __init__(self, increment: int = 1, seed: int = 42) -> None:
        # SolaraViz may hand the seed over as a string (see MESA.md); keep it an int.
        super().__init__(rng=int(seed))
        self.increment = int(increment)
        self.counter = 0
        self.datacollector = mesa.DataCollector(model_reporters={"Counter": "counter"})
        self.datacollector.collect(self)

    def step(self) -> None:
        """Raise the counter and record it."""
        self.counter += self.increment
        self.datacollector.collect(self)


def CounterText(model: CounterModel) -> solara.Text:
    """Show the counter; a plain function (not @solara.component) so SolaraViz re-renders it each step."""
    return solara.Text(f"Counter value: {model.counter}", classes=["tiny-counter"])


model_params = {
    "increment": {
        "type": "SliderInt",
        "value": 1,
        "label": "Increment",
        "min": 1,
        "max": 5,
        "step": 1,
    },
    "seed": 42,
}

page = SolaraViz(
    CounterModel(),
    components=[make_plot_component("Counter"), CounterText],
    model_params=model_params,
    name="Tiny counter",
)
