"""Export: the run so far as CSV or Parquet (the columns of ``reformsim run``'s timeseries.parquet)
and the lever settings as a scenario file that ``reformsim run --scenario`` reproduces the run
with. Each chart saves itself as PNG (its own button)."""

from __future__ import annotations

import html
import io

import pandas as pd
import solara
from reformsim.model import VERSION
from reformsim.model.metrics import timeseries
from reformsim.model.scenario import dump_scenario

from .i18n import t
from .session import Session


def run_command(session: Session, filename: str = "session.toml") -> str:
    """The command that reproduces the session's run so far from its scenario file."""
    return f"reformsim run --scenario {filename} --seed {session.seed} --years {session.day / 365:.6g}"


def scenario_toml(session: Session, filename: str = "session.toml") -> str:
    """The session as scenario file ``filename``, with the command that reruns it on top."""
    return f"# {run_command(session, filename)}\n" + dump_scenario(session.scenario())


def run_table(session: Session) -> pd.DataFrame:
    """One row per simulated day, as ``reformsim run`` writes it for the exported scenario."""
    with session.lock:
        table = timeseries(session.model)
        scenario_hash = session.scenario().hash()
    table["scenario_hash"], table["seed"], table["version"] = scenario_hash, session.seed, VERSION
    return table


def run_csv(session: Session) -> bytes:
    return run_table(session).to_csv(index=False).encode()


def run_parquet(session: Session) -> bytes:
    buf = io.BytesIO()
    run_table(session).to_parquet(buf, index=False, compression="zstd")
    return buf.getvalue()


@solara.component
def ExportPanel(session: Session) -> solara.Element:
    """Download buttons; the data is made when a button is pressed (not at every frame)."""
    stem = f"{session.model.base_scenario.name}_seed{session.seed}"
    with solara.Column(classes=["reformsim-export"], gap="4px") as main:
        solara.HTML(tag="h3", unsafe_innerHTML=html.escape(t("export")), style="margin:4px 0")
        for key, make, ext, mime in (("export_csv", run_csv, "csv", "text/csv"),
                                     ("export_parquet", run_parquet, "parquet", "application/octet-stream"),
                                     ("export_toml", lambda s: scenario_toml(s, f"{stem}.toml"), "toml",
                                      "application/toml")):
            with solara.Div(classes=[f"export-{ext}"]):
                solara.FileDownload(lambda make=make: make(session), filename=f"{stem}.{ext}", label=t(key),
                                    mime_type=mime)
        solara.Text(t("export_charts"), style="font-size:12px")
        solara.Text(t("export_hint"), style="font-size:12px")
    return main
