"""``jixiao serve``: the HTTP service on the embedded default model and corpus.

One command on a fresh machine is enough: before uvicorn starts, everything missing
is built in this process with progress in the log (corpus store, converted model,
index, trained classifier). Building here rather than in each worker means several
workers never race to write the same artifacts, and a broken configuration stops
the command with one clear line instead of a server that answers with an empty index.
"""

from __future__ import annotations

import argparse
import logging
import sys

from jixiao.errors import JixiaoError
from jixiao.settings import get_settings

DEFAULT_FACTORY = "jixiao.service.app:create_app"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="run the HTTP API (OpenAPI docs at /docs)")
    p.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (each loads the model)")
    p.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    p.add_argument(
        "--factory",
        default=DEFAULT_FACTORY,
        help="import path of an app factory (module:callable); a non-default factory skips the preparation",
    )
    p.set_defaults(func=_serve)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    if args.workers < 1:
        raise JixiaoError("--workers must be at least 1")
    if not 0 < args.port < 65536:
        raise JixiaoError(f"--port {args.port} is not a TCP port")
    logging.basicConfig(
        level=getattr(logging, args.log_level.upper()),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    settings = get_settings()
    target: object = args.factory
    if args.factory == DEFAULT_FACTORY:
        from jixiao.service.app import create_app
        from jixiao.service.deps import LibraryEngine

        logging.getLogger("jixiao.service").info("preparing artifacts in %s", settings.home)
        engine = LibraryEngine.load(
            settings, progress=True
        )  # builds what is missing; JixiaoError if unusable
        if args.workers == 1:
            target = create_app(settings, engine=engine)  # serve the engine just loaded, not a second copy
        del engine
    print(f"jixiao: serving on http://{args.host}:{args.port} (docs at /docs)", file=sys.stderr, flush=True)
    uvicorn.run(
        target,
        factory=isinstance(target, str),
        host=args.host,
        port=args.port,
        workers=args.workers if isinstance(target, str) else None,
        log_level=args.log_level,
    )
    return 0
