"""`python -m ui [--home DIR] [--host H] [--port P]`: start the app (also `python -m rag serve`)."""

from __future__ import annotations

from pathlib import Path

import click

from rag.cli import load_settings, open_planqa
from ui.app import launch


@click.command()
@click.option("--home", type=click.Path(path_type=Path), help="Data folder (default: PLANQA_HOME or var/).")
@click.option("--host", default=None, help="Interface to bind (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default 7860).")
def serve(home: Path | None, host: str | None, port: int | None) -> None:
    """Start PlanQA's Gradio app; the index of the bundled plans builds on first start."""
    settings = load_settings(home)
    app = settings.app.model_copy(update={k: v for k, v in (("host", host), ("port", port)) if v is not None})
    launch(open_planqa(settings.model_copy(update={"app": app})))


if __name__ == "__main__":
    serve()
