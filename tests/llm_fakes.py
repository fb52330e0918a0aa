"""A scripted OpenAI-compatible chat server for the LLM tests and the on-demand evaluation.

Real HTTP on loopback (uvicorn), the real chat-completions wire format. The *model name*
picks the script, so one server serves every scenario:

- ``valid``: selects candidates per required tier, renames one row, keeps values;
- ``repairable``: first answer cites an unknown id, the repair answer is valid;
- ``malformed``: truncated JSON;
- ``hallucinate``: a value and the goal text carry numbers from nowhere (87.3%, 32.1公里);
- ``unknown-tier``: a row under code 99; ``missing-tier``: no 满意度 row;
- ``slow``: answers after ``SLOW_S`` seconds; ``error500``: HTTP 500;
- ``ignores-format``: prose around a fenced JSON (a server that ignores response_format);
- ``prose``: prose only; ``rejects-schema``: 400 on json_schema, fine with json_object;
- ``mixed``: one of the above per project, by a hash of the project name (for the eval);
- any other name: 404 "model does not exist".

With a key configured, any other bearer gets 401. ``python tests/llm_fakes.py --port N``
runs it on its own for ``jixiao eval suggest --cv --llm``.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import re
import socket
import threading
import time

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

SCRIPTS = (
    "valid",
    "repairable",
    "malformed",
    "hallucinate",
    "unknown-tier",
    "missing-tier",
    "slow",
    "error500",
    "ignores-format",
    "prose",
    "rejects-schema",
)
MIXED = ("valid", "valid", "valid", "repairable", "ignores-format", "hallucinate", "malformed", "missing-tier")
SLOW_S = 5.0
_FENCE = re.compile(r"```json\n(.*?)\n```", re.S)


def _payload(body: dict) -> dict:
    first_user = next(m["content"] for m in body["messages"] if m["role"] == "user")
    return json.loads(_FENCE.search(first_user).group(1))


def valid_answer(p: dict) -> dict:
    """A good answer built from the prompt's own candidates: every required tier, values kept."""
    cands = p["candidates"]
    required = {"产出指标": "1", "效益指标": "2", "满意度指标": "3", "成本指标": "4"}
    need = [required[x] for x in p["required_level1"]]
    chosen = []
    for l1 in need:
        chosen += [c for c in cands if c["code"][0] == l1][:2]
    rows = []
    for i, c in enumerate(chosen):
        name = c["name"] if i else f"{p['project']['name'][:12]}{c['name']}"
        rows.append({"code": c["code"], "name": name, "value": c["value"], "candidate_ids": [c["id"]]})
    parts = "、".join(f"{r['name']}{r['value'] or ''}" for r in rows[:3])
    return {"goal_text": f"{p['project']['name']}：年度内{parts}。", "indicators": rows}


def valid_rewrites(p: dict) -> dict:
    """Rewrite proposals: each flagged row takes the first quantified candidate value of its tier."""
    out = []
    for t in p["rows_to_rewrite"]:
        code = t["code"] or "22"
        same = [c for c in p["candidates"] if c["code"] == code and re.search(r"\d", c["value"] or "")]
        anyq = [c for c in p["candidates"] if re.search(r"\d", c["value"] or "")]
        c = (same or anyq or [None])[0]
        if c is not None:
            out.append({"row": t["row"], "code": code, "name": t["name"], "value": c["value"], "candidate_ids": [c["id"]]})
    return {"rewrites": out}


def rewrite_reply(script: str, p: dict, repair: bool) -> str:
    ans = valid_rewrites(p)
    if script == "hallucinate":
        for r in ans["rewrites"]:
            r["value"] = "≥87.3%"
    elif script == "unknown-tier":
        for r in ans["rewrites"]:
            r["code"] = "99"
    elif script == "repairable" and not repair:
        for r in ans["rewrites"]:
            r["candidate_ids"] = ["c999"]
    elif script == "malformed":
        return json.dumps(ans, ensure_ascii=False)[:20]
    elif script == "prose":
        return "建议把这些指标写得更具体一些。"
    text = json.dumps(ans, ensure_ascii=False)
    return f"好的：\n```json\n{text}\n```" if script == "ignores-format" else text


def scripted_reply(script: str, body: dict) -> str | None:
    """The reply text for a script (None: the script answers with an HTTP error instead)."""
    p = _payload(body)
    repair = len(body["messages"]) > 2
    if "rows_to_rewrite" in p:
        return rewrite_reply(script, p, repair)
    ans = valid_answer(p)
    if script in ("valid", "rejects-schema"):
        return json.dumps(ans, ensure_ascii=False)
    if script == "repairable":
        if not repair:
            ans["indicators"][0]["candidate_ids"] = ["c999"]
        return json.dumps(ans, ensure_ascii=False)
    if script == "malformed":
        return json.dumps(ans, ensure_ascii=False)[:60]
    if script == "hallucinate":
        ans["indicators"][0]["value"] = "≥87.3%"
        ans["goal_text"] += "新建道路32.1公里。"
        return json.dumps(ans, ensure_ascii=False)
    if script == "unknown-tier":
        ans["indicators"][0]["code"] = "99"
        return json.dumps(ans, ensure_ascii=False)
    if script == "missing-tier":
        ans["indicators"] = [r for r in ans["indicators"] if not r["code"].startswith("3")]
        return json.dumps(ans, ensure_ascii=False)
    if script == "ignores-format":
        return "好的，下面是按要求整理的草稿：\n```json\n" + json.dumps(ans, ensure_ascii=False) + "\n```\n如需调整请告诉我。"
    if script == "prose":
        return "好的，我认为本项目应当设置数量、质量和满意度指标，满意度达到100%。"
    raise AssertionError(script)


def create_llm_app(api_key: str | None = None) -> FastAPI:
    app = FastAPI()
    app.state.log = []

    @app.post("/v1/chat/completions")
    async def chat(request: Request):
        body = await request.json()
        fmt = (body.get("response_format") or {}).get("type")
        app.state.log.append({"model": body.get("model"), "format": fmt, "messages": len(body["messages"])})
        if api_key and request.headers.get("authorization") != f"Bearer {api_key}":
            return JSONResponse({"error": {"message": "Incorrect API key provided"}}, status_code=401)
        script = body.get("model")
        if script == "mixed":
            name = _payload(body)["project"]["name"] or ""
            script = MIXED[int(hashlib.sha1(name.encode()).hexdigest(), 16) % len(MIXED)]
        if script not in SCRIPTS:
            return JSONResponse(
                {"error": {"message": f"The model `{script}` does not exist."}}, status_code=404
            )
        if script == "rejects-schema" and fmt == "json_schema":
            return JSONResponse({"error": {"message": "response_format json_schema is not supported"}}, 400)
        if script == "error500":
            return JSONResponse({"error": {"message": "internal error"}}, status_code=500)
        if script == "slow":
            await asyncio.sleep(SLOW_S)
            script = "valid"
        text = scripted_reply(script, body)
        return {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model"),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        }

    return app


def free_port(lo: int = 19000, hi: int = 19999) -> int:
    for port in range(lo, hi):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in range")


class ScriptedServer:
    """The app under a real uvicorn in a background thread; a context manager."""

    def __init__(self, api_key: str | None = None, port: int | None = None):
        self.app = create_llm_app(api_key)
        self.port = port or free_port(19100, 19400)
        self._server = uvicorn.Server(
            uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        )
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def log(self) -> list[dict]:
        return self.app.state.log

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        for _ in range(200):
            if self._server.started:
                return self
            time.sleep(0.05)
        raise RuntimeError("scripted LLM server did not start")

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description="scripted OpenAI-compatible server (loopback only)")
    ap.add_argument("--port", type=int, default=19050)
    ap.add_argument("--key", default=None)
    args = ap.parse_args()
    uvicorn.run(create_llm_app(args.key), host="127.0.0.1", port=args.port, log_level="warning")
