"""``talentatlas serve``: the REST API over the warehouse (:mod:`talentatlas.web`)."""

from __future__ import annotations

from typing import Annotated

import typer

from talentatlas.cli.options import DataDir, Warehouse, command, err, settings


@command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    connections: Annotated[
        int, typer.Option(help="Read-only connections to the warehouse (queries at once).")
    ] = 2,
    warm: Annotated[
        bool,
        typer.Option(
            help="Answer the dashboard's first questions of each build before "
            "anyone asks (in the background, one at a time)."
        ),
    ] = True,
    data_dir: DataDir = None,
    warehouse: Warehouse = None,
) -> None:
    """Serve the atlas over HTTP: a REST API (JSON or CSV, OpenAPI schema at /docs)
    over the built warehouse, picking up rebuilds as they land."""
    import uvicorn

    from talentatlas.web.app import create_app

    s = settings(data_dir, warehouse)
    path = s.resolved_warehouse()
    if not path.exists():
        err.print(f"[red]error:[/] no warehouse at {path}: run `talentatlas build` first")
        raise typer.Exit(2)
    app = create_app(path, connections, s.suppression_file, warm)
    err.print(f"serving {path} on http://{host}:{port} (API schema: /docs)", style="dim")
    uvicorn.run(app, host=host, port=port, log_level="warning")
