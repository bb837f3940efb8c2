"""Serve a live-view page: ``python -m simsocial.viz.serve PAGE.py --port PORT`` (``simsocial viz`` runs it).

What ``solara run PAGE.py --production`` does, as Solara documents for self-hosting (``SOLARA_APP`` names
the page, uvicorn serves ``solara.server.starlette:app``), with one difference: the app is wrapped in
:class:`~simsocial.viz.guard.LoopbackOnly`, so only the view's own page on 127.0.0.1 may talk to it.
"""

from __future__ import annotations

import argparse
import os


def serve(page: str, port: int) -> None:
    """Serve ``page`` (a Solara app file) on ``127.0.0.1:port`` until interrupted."""
    os.environ["SOLARA_APP"] = page  # read when Solara's server module is imported
    import uvicorn
    from solara.__main__ import LOGGING_CONFIG  # solara run's own logging: errors only
    from solara.server.starlette import app

    from simsocial.viz.guard import LoopbackOnly

    uvicorn.run(LoopbackOnly(app, port), host="127.0.0.1", port=port, log_config=LOGGING_CONFIG, access_log=False)


def main() -> None:
    """The command line: the page file and the port."""
    parser = argparse.ArgumentParser(prog="python -m simsocial.viz.serve", description=__doc__)
    parser.add_argument("page", help="the Solara page file (simsocial/viz/app.py or campaign_app.py)")
    parser.add_argument("--port", type=int, required=True, help="the port on 127.0.0.1")
    args = parser.parse_args()
    serve(args.page, args.port)


if __name__ == "__main__":
    main()
