"""``jixiao serve``: the HTTP service on the embedded default model and corpus.

One command on a fresh machine is enough: everything missing is built with progress
in the log (corpus store, converted model, index, trained classifier). With one worker
the port opens at once and the engine is prepared behind it (``/v1/health`` shows the
step and progress; ``jixiao.service.startup``). With several workers the artifacts are
built first in this process, so workers never race to write them. Either way a broken
configuration stops the command with one clear line instead of a server that answers
with an empty index.
"""

from __future__ import annotations

import argparse
import errno
import logging
import socket
import sys
from collections.abc import Callable

from jixiao.errors import JixiaoError
from jixiao.settings import Settings, get_settings

DEFAULT_FACTORY = "jixiao.service.app:create_app"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="启动 HTTP 服务（接口文档见 /docs）")
    p.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1）")
    p.add_argument("--port", type=int, default=8000, help="端口（默认 8000）")
    p.add_argument("--workers", type=int, default=1, help="uvicorn 工作进程数（每个进程各自加载模型）")
    p.add_argument(
        "--log-level",
        default="info",
        choices=["critical", "error", "warning", "info", "debug"],
        help="日志级别（默认 info）",
    )
    p.add_argument(
        "--factory",
        default=DEFAULT_FACTORY,
        help="应用工厂的导入路径（模块:可调用对象）；非默认工厂会跳过准备步骤",
    )
    p.set_defaults(func=_serve)


QUIET_LIBRARIES = ("faiss", "alembic")


BIND_REASONS = {
    errno.EADDRINUSE: "端口已被占用",
    errno.EACCES: "无权使用该端口（1024 以下的端口需要管理员权限）",
    errno.EADDRNOTAVAIL: "本机没有这个地址",
}


def check_port_free(host: str, port: int) -> None:
    """Refuse a taken port before anything loads, as one Chinese line (exit 2): uvicorn would
    print an English bind error and exit 3 once the app had started. Bound the way uvicorn
    binds (SO_REUSEADDR), so a port in TIME_WAIT is not mistaken for a taken one."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as e:
        raise JixiaoError(f"无法解析监听地址 {host!r}：请填写本机的 IP 地址或主机名（--host）") from e
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as e:
            reason = BIND_REASONS.get(e.errno, f"错误码 {e.errno}")
            raise JixiaoError(
                f"无法监听 {host}:{port}：{reason}；请用 --port 换一个端口或 --host 换一个地址，或先停止占用它的程序"
            ) from e


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    if args.workers < 1:
        raise JixiaoError("--workers 至少为 1")
    if not 0 < args.port < 65536:
        raise JixiaoError(f"--port {args.port} 不是有效的 TCP 端口")
    check_port_free(args.host, args.port)
    logging.basicConfig(
        level=getattr(logging, args.log_level.upper()),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.log_level.lower() != "debug":
        # Libraries that narrate their own loading in English (FAISS's CPU probing, Alembic's
        # plugins) speak only when something is wrong; the service's own steps stay at INFO.
        for name in QUIET_LIBRARIES:
            logging.getLogger(name).setLevel(logging.WARNING)
    settings = get_settings()
    if args.factory == DEFAULT_FACTORY and args.workers > 1:
        from jixiao.service.deps import LibraryEngine

        logging.getLogger("jixiao.service").info("正在 %s 中准备模型与索引", settings.home)
        LibraryEngine.load(settings, progress=True)  # builds what is missing; JixiaoError if unusable
    print(f"jixiao：服务地址 http://{args.host}:{args.port}（接口文档 /docs）", file=sys.stderr, flush=True)
    if args.factory != DEFAULT_FACTORY or args.workers > 1:
        uvicorn.run(
            args.factory,
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_level=args.log_level,
        )
        return 0
    from jixiao.service.boot import BootApp

    servers: list[uvicorn.Server] = []

    def stop() -> None:
        servers[0].should_exit = True  # a server without a model could only answer 503

    boot = BootApp(lambda: _app_loading_engine(settings, stop), on_failure=stop)  # port first, the rest behind it
    servers.append(uvicorn.Server(uvicorn.Config(boot, host=args.host, port=args.port, log_level=args.log_level)))
    servers[0].run()
    _raise_if_start_failed(boot)
    return 0


def _app_loading_engine(settings: Settings, on_failure: Callable[[], None]):  # noqa: ANN202 - a FastAPI app
    """The FastAPI app, with the shipped engine being prepared behind it (progress on /v1/health)."""
    from jixiao.service.app import create_app
    from jixiao.service.deps import LibraryEngine
    from jixiao.service.startup import start_in_background

    app = create_app(settings)
    start_in_background(app, settings, lambda s, report: LibraryEngine.load(s, report=report), on_failure=on_failure)
    return app


def _raise_if_start_failed(target: object) -> None:
    """After uvicorn stopped: a start-up failure becomes the command's one-line error (exit 2)."""
    error = getattr(target, "error", None)
    startup = getattr(getattr(getattr(target, "app", None), "state", None), "startup", None)
    if error is None and startup is not None and startup.status == "failed":
        error = startup.error
    if error:
        raise JixiaoError(f"启动失败：{error}")
