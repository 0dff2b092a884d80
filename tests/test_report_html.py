"""The HTML report: escaping and CSP checked in the markup, then in real headless Chromium.

The browser test drives Debian's ``chromium`` over the Chrome DevTools Protocol
(``websocket-client``): it loads the report from a file, collects console messages,
exceptions and CSP/log errors, checks that no script planted in the corpus ran, reads the
side-by-side view out of the DOM and saves a screenshot (kept under ``tmp_path``; set
``NEARDUP_SCREENSHOT=path.png`` to keep a copy). CI installs chromium with apt, so a
missing browser fails the test rather than skipping it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import time
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import pytest

from neardup import Document, scan
from neardup.report.html import CSP, SCRIPT, STYLE, render_html

from .conftest import EZHOU_FILE

EVIL_HEAD = '<script>document.title="PWNED";window.__pwned=1</script>'
EVIL_ATTR = '"><img src=x onerror="window.__pwned=2">'
EVIL_FILL = '领导"><img src=x onerror="window.__pwned=4">干部'  # lands in slot and edit tooltips


@pytest.fixture(scope="module")
def evil_result(seed_texts):
    """Two copies of a real paragraph, each carrying markup that must stay text."""
    para = seed_texts["003_25ef313b2cbc397f.txt"].splitlines()[2]
    a = EVIL_HEAD + "\n" + para + "\n" + EVIL_ATTR + "\n"
    b = "前言<b>粗体</b>\n" + para.replace("胶州", "xx").replace("领导干部", EVIL_FILL, 1) + "\n<script>window.__pwned=3</script>\n"
    c = seed_texts[EZHOU_FILE.name]
    return scan([Document('evil"<a>.txt', a), Document("b.txt", b), Document(EZHOU_FILE.name, c)])


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.data: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.data.append(data)


def _parse(page: str) -> _Tags:
    parser = _Tags()
    parser.feed(page)
    return parser


def test_corpus_markup_is_escaped_everywhere(evil_result) -> None:
    page = render_html(evil_result)
    parsed = _parse(page)
    names = [t for t, _ in parsed.tags]
    assert "img" not in names and "b" not in names and names.count("script") == 1
    assert not any(k.startswith("on") for _, attrs in parsed.tags for k in attrs)
    text = "".join(parsed.data)
    assert 'document.title="PWNED";window.__pwned=1</script' in text  # as text
    assert 'img src=x onerror="window.__pwned=2' in text
    # A document id with quotes and brackets stays text; corpus text with quotes inside
    # attributes (slot and edit tooltips) stays inside its attribute.
    assert 'evil"<a>.txt' in text and 'evil&quot;&lt;a&gt;.txt' in page
    assert any('onerror="window.__pwned=4' in (v or "") for _, attrs in parsed.tags for v in attrs.values())
    assert 'onerror=&quot;window.__pwned=4' in page


def test_csp_pins_our_own_style_and_script_and_nothing_loads(evil_result) -> None:
    page = render_html(evil_result)
    for source in (STYLE, SCRIPT):
        digest = base64.b64encode(hashlib.sha256(source.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in CSP
    assert "default-src 'none'" in CSP and "unsafe-inline" not in CSP and "unsafe-eval" not in CSP
    parsed = _parse(page)
    metas = [a for t, a in parsed.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert [m["content"] for m in metas] == [CSP]
    for tag, attrs in parsed.tags:
        assert "src" not in attrs and "style" not in attrs, tag
        assert attrs.get("href", "#").startswith("#"), attrs
        assert tag not in ("link", "iframe", "object", "embed", "img")
    assert "url(" not in STYLE and "@import" not in STYLE


def test_html_is_deterministic_and_has_every_section(evil_result) -> None:
    page = render_html(evil_result)
    assert page == render_html(evil_result)
    for anchor in ('id="charts"', 'id="clusters"', 'id="pairs"', 'id="families"', 'id="boilerplate"'):
        assert anchor in page
    assert page.count("<svg") == 2
    assert '<mark class="slot"' in page and "{20xx | 2017}" in page


# --------------------------------------------------------------------------- real browser


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail("chromium is not installed: `apt-get install chromium` (CI's .ci/run does this)")
    return path


class _Browser:
    """A headless Chromium and one page, driven over the DevTools Protocol."""

    def __init__(self, profile: Path) -> None:
        import websocket

        self.proc = subprocess.Popen(
            [
                _chromium(),
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-extensions",
                "--remote-debugging-port=0",
                f"--user-data-dir={profile}",
                "--window-size=1280,1600",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not port_file.exists() or not port_file.read_text().strip():
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.close()
                pytest.fail("chromium did not start its DevTools endpoint")
            time.sleep(0.1)
        port = port_file.read_text().splitlines()[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json", timeout=10) as resp:
            targets = json.loads(resp.read().decode())
        page = next(t for t in targets if t["type"] == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30, suppress_origin=True)
        self.next_id = 0
        self.events: list[dict] = []

    def call(self, method: str, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def wait_for(self, method: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(e.get("method") == method for e in self.events):
                return
            self.ws.settimeout(max(0.1, deadline - time.monotonic()))
            self.events.append(json.loads(self.ws.recv()))
        raise TimeoutError(method)

    def evaluate(self, expression: str):
        return self.call("Runtime.evaluate", expression=expression, returnByValue=True)["result"].get("value")

    def close(self) -> None:
        try:
            self.ws.close()
        except Exception:  # noqa: BLE001 - best effort
            pass
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def _problems(events: list[dict]) -> list[str]:
    out = []
    for e in events:
        method, params = e.get("method"), e.get("params", {})
        if method == "Runtime.exceptionThrown":
            out.append("exception: " + json.dumps(params["exceptionDetails"], ensure_ascii=False)[:300])
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "warning", "assert"):
            out.append("console: " + json.dumps(params.get("args"), ensure_ascii=False)[:300])
        elif method == "Log.entryAdded" and params["entry"]["level"] in ("error", "warning"):
            out.append("log: " + params["entry"].get("text", "")[:300])
    return out


@pytest.mark.slow  # headless Chromium
def test_report_in_headless_chromium(evil_result, tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    report.write_text(render_html(evil_result), encoding="utf-8")
    browser = _Browser(tmp_path / "profile")
    try:
        browser.call("Page.enable")
        browser.call("Runtime.enable")
        browser.call("Log.enable")
        browser.call("Page.navigate", url=report.as_uri())
        browser.wait_for("Page.loadEventFired")
        state = browser.evaluate(
            """JSON.stringify({
                title: document.title,
                pwned: typeof window.__pwned,
                ready: document.documentElement.getAttribute("data-ready"),
                injected: document.querySelectorAll("img, b").length,
                scripts: document.scripts.length,
                sides: document.querySelectorAll(".sbs .side").length,
                sideText: Array.from(document.querySelectorAll(".sbs .side .text")).map(n => n.textContent).join("\\n"),
                subs: Array.from(document.querySelectorAll(".sbs .sub")).map(n => n.textContent),
                width: document.querySelector(".sbs").getBoundingClientRect().width,
                leftTop: document.querySelector(".sbs .side.a").getBoundingClientRect().top,
                rightTop: document.querySelector(".sbs .side.b").getBoundingClientRect().top,
                svgs: document.querySelectorAll("svg").length,
                bodyText: document.body.innerText
            })"""
        )
        state = json.loads(state)
        browser.evaluate('document.querySelector(".sbs").scrollIntoView()')
        # Hover an edit: our script outlines it on both sides.
        browser.evaluate('document.querySelector(".sbs .sub").dispatchEvent(new MouseEvent("mouseover", {bubbles: true}))')
        lit = browser.evaluate('document.querySelectorAll(".hl").length')
        shot = browser.call("Page.captureScreenshot", format="png")
        problems = _problems(browser.events)
    finally:
        browser.close()
    png = base64.b64decode(shot["data"])
    (tmp_path / "report.png").write_bytes(png)
    if os.environ.get("NEARDUP_SCREENSHOT"):
        Path(os.environ["NEARDUP_SCREENSHOT"]).write_bytes(png)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
    assert problems == []
    assert state["title"] == "neardup report" and state["pwned"] == "undefined"
    assert state["ready"] == "1"  # our own script ran under the CSP
    assert state["injected"] == 0 and state["scripts"] == 1  # no <img>, <b> or <script> from the corpus
    # Shown as text (boilerplate and slot views start at the first content character).
    assert 'document.title="PWNED";window.__pwned=1</script' in state["bodyText"]
    assert 'img src=x onerror="window.__pwned=2' in state["bodyText"]
    assert state["sides"] >= 2 and state["leftTop"] == state["rightTop"]  # side by side, not stacked
    assert "2017" in state["subs"] and "20xx" in state["subs"]
    assert lit == 2
    assert state["svgs"] == 2


def test_graph_labels_stay_inside_the_picture(seed_texts) -> None:
    """Issue 13: `04_21f10bf9ae509db8.txt` was cut at the panel's edge."""
    import xml.etree.ElementTree as ET

    from neardup.report.html import label_width

    docs = [Document(f"examples/seeds/{name}", text) for name, text in seed_texts.items()]
    docs.append(Document("長い名前の文書/全国文明城市创建工作推进会议讲话稿第二版.txt", seed_texts[EZHOU_FILE.name][:3000]))
    page = render_html(scan(docs))
    svg = page[page.index("<svg", page.index("Document graph")) : page.index("</svg>", page.index("Document graph")) + 6]
    root = ET.fromstring(svg)
    left, top, width, height = (float(v) for v in root.get("viewBox").split())
    labels = [t for t in root.iter("{http://www.w3.org/2000/svg}text") if t.get("text-anchor")]
    assert len(labels) == len(docs)
    for t in labels:
        x, w = float(t.get("x")), label_width(t.text or "", float(t.get("font-size")))
        lo, hi = (x, x + w) if t.get("text-anchor") == "start" else (x - w, x)
        assert left <= lo and hi <= left + width, (t.text, lo, hi, left, left + width)
