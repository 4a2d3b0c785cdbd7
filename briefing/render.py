"""Server-side rendering of plotly figures with kaleido 1.x through the system Chromium.

One persistent `kaleido.Kaleido` (a headless Chromium with `n` tabs, MathJax
off, plotly.js from the installed plotly package: no network) runs on a
background event loop for the life of the process, so only the first export
pays for starting the browser (~2 s); later renders take a fraction of a
second.

This is kaleido's own persistent-server pattern (`kaleido.start_sync_server`)
written out, because the stock sync server has two problems for a web app and
a cron job: its single result queue is shared by all callers (two Streamlit
sessions exporting at once could receive each other's image), and a browser
that fails to start leaves callers waiting forever. Here each call gets its
own future with a timeout, and several figures render in parallel tabs.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import shutil
import threading
from collections.abc import Sequence
from concurrent.futures import Future

CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome",
              "/usr/bin/google-chrome-stable")
TABS = 2
TIMEOUT_S = 90.0


class RenderUnavailable(RuntimeError):
    """No browser to render with (message in Chinese and English)."""


def chromium_path() -> str | None:
    """$GOV_CHROMIUM or $BROWSER_PATH, else the system Chromium / Chrome; None when there is none."""
    for env in ("GOV_CHROMIUM", "BROWSER_PATH"):
        p = os.environ.get(env)
        if p:
            return p if os.path.exists(p) else None
    for p in CANDIDATES:
        if os.path.exists(p):
            return p
    for name in ("chromium", "chromium-browser", "google-chrome"):
        p = shutil.which(name)
        if p:
            return p
    return None


def available() -> bool:
    return chromium_path() is not None


class Renderer:
    """A kaleido browser on its own thread and event loop; `render()` is thread-safe."""

    def __init__(self, path: str, tabs: int = TABS) -> None:
        self.path = path
        self.tabs = tabs
        self._loop = asyncio.new_event_loop()
        self._ready: Future = Future()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="briefing-kaleido", daemon=True)
        self._thread.start()
        try:
            self._ready.result(timeout=TIMEOUT_S)
        except Exception as e:
            self.close()
            raise RenderUnavailable(
                f"无法启动 Chromium（{path}）进行渲染：{e} / could not start Chromium ({path}) to render: {e}"
            ) from e

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._main())

    async def _main(self) -> None:
        import kaleido

        self._stop = asyncio.Event()
        try:
            async with kaleido.Kaleido(n=self.tabs, path=self.path, mathjax=False, timeout=TIMEOUT_S) as k:
                self._k = k
                self._ready.set_result(True)
                await self._stop.wait()
        except BaseException as e:  # noqa: BLE001 - reported to the thread waiting in __init__
            if not self._ready.done():
                self._ready.set_exception(e)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive() and self._ready.done() and self._ready.exception() is None

    def render(self, jobs: Sequence[tuple[object, dict]]) -> list[bytes]:
        """Render (figure, opts) pairs in parallel tabs; opts as kaleido's: format, width, height, scale."""

        async def _all():
            return await asyncio.gather(*(self._k.calc_fig(f, opts=dict(o)) for f, o in jobs))

        fut = asyncio.run_coroutine_threadsafe(_all(), self._loop)
        try:
            return list(fut.result(timeout=TIMEOUT_S * max(1, len(jobs))))
        except TimeoutError:
            fut.cancel()
            raise

    def close(self) -> None:
        if self._stop is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=15)


_lock = threading.Lock()
_renderer: Renderer | None = None


def renderer() -> Renderer:
    """The process-wide renderer, started on first use (RenderUnavailable without a browser)."""
    global _renderer
    with _lock:
        if _renderer is not None and _renderer.alive:
            return _renderer
        path = chromium_path()
        if path is None:
            raise RenderUnavailable(
                "未找到 Chromium 浏览器，无法生成 PNG/PDF（请安装系统 chromium，或设置 GOV_CHROMIUM=浏览器路径） / "
                "no Chromium found to render PNG/PDF (install the system chromium, or set GOV_CHROMIUM=path)"
            )
        _renderer = Renderer(path)
        return _renderer


def render(figs, fmt: str = "png", width: int = 1920, height: int = 1080, scale: float = 1.0) -> list[bytes]:
    """Render one figure or a list of figures with the same options."""
    figs = list(figs) if isinstance(figs, list | tuple) else [figs]
    opts = {"format": fmt, "width": width, "height": height, "scale": scale}
    return renderer().render([(f, opts) for f in figs])


def render_jobs(jobs: Sequence[tuple[object, dict]]) -> list[bytes]:
    """Render (figure, opts) pairs in one batch (parallel tabs)."""
    return renderer().render(list(jobs)) if jobs else []


def shutdown() -> None:
    global _renderer
    with _lock:
        if _renderer is not None:
            _renderer.close()
            _renderer = None


atexit.register(shutdown)
