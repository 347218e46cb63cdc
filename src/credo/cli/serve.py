"""``credo serve``: the HTTP API (and, with it, the pages) under uvicorn."""

from __future__ import annotations

import os
import socket
from typing import Annotated

import typer
import uvicorn
from uvicorn.supervisors import Multiprocess

from credo.cli.shell import app, err, open_home

__all__ = ["serve"]


@app.command("serve")
def serve(
    host: Annotated[
        str | None, typer.Option("--host", help="address (default CREDO_API__HOST, 127.0.0.1)")
    ] = None,
    port: Annotated[
        int | None, typer.Option("--port", help="port (default CREDO_API__PORT, 8000)")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option("--workers", min=1, help="worker processes (default CREDO_API__WORKERS, 1)"),
    ] = None,
    log_level: Annotated[str, typer.Option("--log-level")] = "info",
) -> None:
    """Serve the API: OpenAPI at /openapi.json, health at /healthz, routes under /v1."""
    home = open_home()
    home.require_ready()
    settings = home.settings.api
    host = host or settings.host
    port = port or settings.port
    workers = workers or settings.workers
    # worker processes build their app from the environment: hand them the home chosen here
    os.environ["CREDO_HOME"] = str(home.settings.home.resolve())
    err.print(f"credo API and pages on http://{host}:{port} ({workers} worker(s)); docs at /docs")
    config = _Config(
        "credo.api.server:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        access_log=False,
    )
    if workers > 1:
        Multiprocess(config, sockets=[config.bind_socket()]).run()
    else:
        uvicorn.Server(config).run()


class _Config(uvicorn.Config):
    """uvicorn's configuration, with Nagle's algorithm off on the socket workers share.

    With one worker asyncio switches it off on each connection; with several, uvicorn binds a
    socket asyncio does not recognise as TCP, and every response's last segment then waits for
    the client's delayed acknowledgement (40 ms a request on Linux). Connections accepted on a
    listening socket inherit the option.
    """

    def bind_socket(self) -> socket.socket:
        sock = super().bind_socket()
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock
