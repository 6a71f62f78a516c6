#!/usr/bin/env python3
"""Drives the evolution-trail page in headless Chromium (Debian's /usr/bin/chromium) with
Playwright for Python, never a downloaded browser.

  trail_page.py check SPEC.json   run the checks SPEC describes (written by tests/trail_page.rs)
  trail_page.py measure RUNS PAGE...   open each page RUNS times, print when its verdict showed
  trail_page.py cpu RUNS PAGE...       the same under tracing: CPU time until the verdict
  trail_page.py called PAGE OUT        the WebAssembly functions the page compiled on their first
                                       call before its verdict, their indices written to OUT

A check opens a page from file://, waits for <body data-verdict> to leave "pending", and
compares what the page shows with what the spec expects; it keeps a screenshot of every state
in the spec's artefact directory. Exit status 0 when everything matched, 1 otherwise.
"""

import base64
import json
import pathlib
import sys
import tempfile

from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 120_000


def launch(playwright, profile):
    return playwright.chromium.launch_persistent_context(
        profile,
        executable_path=CHROMIUM,
        headless=True,
        args=ARGS,
        viewport={"width": 1100, "height": 900},
    )


def settled(page, previous=None):
    """Waits until the page has a verdict (a different one from `previous` when given) or shows
    an error (a file dropped or picked clears data-verdict first: an error does not count a
    run)."""
    page.wait_for_function(
        "(previous) => { const d = document.body.dataset;"
        " return d.verdict === 'error' || d.verdict && d.verdict !== 'pending' && d.rendered === 'all'"
        " && (previous === null || d.run !== previous); }",
        arg=previous,
        timeout=TIMEOUT_MS,
    )
    return read_state(page)


def read_state(page):
    """What <body> says of the page's state now."""
    return {
        "verdict": page.evaluate("document.body.dataset.verdict"),
        "entries": int(page.evaluate("document.body.dataset.entries || '-1'")),
        "verify_ms": int(page.evaluate("document.body.dataset.verifyMs || '-1'")),
        "rendered_ms": int(page.evaluate("document.body.dataset.renderedMs || '-1'")),
        "run": page.evaluate("document.body.dataset.run || ''"),
        "memory": page.evaluate("document.body.dataset.memory || ''"),
        # A notice above the verdict: the code of a dropped file not used, or "failed".
        "notice": page.evaluate("document.body.dataset.notice || ''"),
        "verifying_shown": page.evaluate("performance.getEntriesByName('pactum:verifying').length > 0"),
    }


def settled_quietly(page):
    """`settled` for measurements: waits through a DevTools session that now and then evaluates
    one expression in the page, so that nothing of Playwright's runs in the page while it loads
    (`wait_for_function` first evaluates Playwright's injected script, some 330 KB, on the page's
    main thread: that delayed the verdict it measured by about 12 ms). Returns what `settled`
    does, and the page's timing and when its parsing ended."""
    import time

    session = page.context.new_cdp_session(page)
    expression = (
        "(() => { const d = document.body && document.body.dataset;"
        " if (!d || !d.verdict || d.verdict === 'pending' || d.rendered !== 'all') return null;"
        " return JSON.stringify({ verdict: d.verdict, entries: Number(d.entries || -1),"
        " verify_ms: Number(d.verifyMs || -1), rendered_ms: Number(d.renderedMs || -1),"
        " timing: JSON.parse(d.timing || '{}'),"
        " parsed: performance.getEntriesByType('navigation')[0].domContentLoadedEventStart }); })()"
    )
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        answer = session.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        value = answer.get("result", {}).get("value")
        if value:
            session.detach()
            return json.loads(value)
        time.sleep(0.05)
    raise TimeoutError(f"no verdict within {TIMEOUT_MS} ms")


def answered(page, state):
    """Waits until the parties' heads answered (<body data-freshness>), then reads the verdict
    again: a head that contradicts the bundle turns it to invalid."""
    page.wait_for_function("() => document.body.dataset.freshness", timeout=TIMEOUT_MS)
    state["freshness"] = page.evaluate("document.body.dataset.freshness")
    state["verdict"] = page.evaluate("document.body.dataset.verdict")


def shown(page):
    """What the page shows: the verdict heading, the failed step and entry, the step names."""
    return page.evaluate(
        """() => ({
            heading: document.querySelector('#verdict h1')?.textContent ?? '',
            failed_step: document.querySelector('#steps .failed')?.dataset.step ?? null,
            failure: document.querySelector('#failure')?.textContent ?? '',
            reason: document.querySelector('#reason')?.textContent ?? '',
            steps: [...document.querySelectorAll('#steps li')].map(li => li.textContent),
            timeline: document.querySelectorAll('#timeline > li').length,
            picture: document.querySelectorAll('#picture').length,
            // The bar (title, language, print) and the drop zone, in every state.
            chrome: !!document.querySelector('header.bar #language') && !!document.querySelector('#drop #file'),
            evidence: document.querySelectorAll('#verdict .evidence').length,
            text: document.body.innerText,
            // The page's own words: without attested data (names, quoted texts, identifiers,
            // keys and hashes), the rendered clause texts, the language names and the scripts.
            own_words: (() => {
                const copy = document.body.cloneNode(true);
                copy.querySelectorAll('.data, code, pre.clause-text, option, .brand, script, style')
                    .forEach(node => node.remove());
                copy.querySelectorAll('svg text.point-label, svg text.band-label').forEach(node => node.remove());
                return copy.textContent;
            })(),
            lang: document.documentElement.lang,
            // Texts of the page's own that start a line (a table's labels, the attesters'
            // grants, the signers, notes, the heads' answers, reasons, notices and the
            // picture's row names) whose first letter is in lower case: German starts a line
            // with a capital.
            lowercase_starts: [...document.querySelectorAll('#order tr > td:first-child, #order td:nth-child(3),'
                + ' #basis tr > td:first-child, th, .signers, .note, #heads .head, #reason, .what, .todo,'
                + ' #picture text.track-name')]
                .map(node => (node.innerText ?? node.textContent).trim()).filter(text => /^\\p{Ll}/u.test(text)),
            // Each verification step's number and status ("ok", "failed", "not_reached").
            step_status: [...document.querySelectorAll('#steps li')]
                .map(li => [Number(li.dataset.step), li.classList[1]]),
            // The text of every table (the order's terms, parties, attesters).
            tables: [...document.querySelectorAll('table')].map(t => t.innerText).join('\\n'),
            // The picture's scale on screen (its drawn width over the width it is laid out
            // for): below about 0.6 its 11 px labels are too small to read.
            picture_scale: (() => {
                const svg = document.querySelector('#picture');
                return svg ? svg.getBoundingClientRect().width / svg.viewBox.baseVal.width : null;
            })(),
            // Whether the picture fits the width it is shown at: how far the page scrolls
            // sideways, how far the picture sticks out of its card, and its texts cut at
            // either edge.
            picture_fit: (() => {
                const svg = document.querySelector('#picture');
                if (!svg) return null;
                const box = svg.getBoundingClientRect();
                const card = svg.closest('section').getBoundingClientRect();
                const page = document.documentElement;
                return {
                    sideways: Math.max(0, Math.round(page.scrollWidth - page.clientWidth)),
                    outside: Math.max(0, Math.round(box.right - card.right)),
                    cut: [...svg.querySelectorAll('text')].filter(t => {
                        const r = t.getBoundingClientRect();
                        return r.width > 0 && (r.left < box.left - 1 || r.right > box.right + 1);
                    }).map(t => t.textContent),
                };
            })(),
            // Every text the picture shows (not those left as tooltips).
            picture_texts: [...document.querySelectorAll('#picture text')].map(t => t.textContent),
            // Days of the picture's axis, and how many of them have their date under them.
            days: Number(document.querySelector('#picture')?.dataset.days ?? 0),
            dated_days: document.querySelectorAll('#picture text.day-label').length,
            // Texts of the picture's axis (dates and the entries each stands for).
            axis_labels: [...document.querySelectorAll('#picture text.axis-label')].map(t => t.textContent),
            // Ticks of the axis no label stands under (their x inside no axis label's box).
            unlabelled_ticks: (() => {
                const labels = [...document.querySelectorAll('#picture text.axis-label')]
                    .map(t => t.getBoundingClientRect());
                return [...document.querySelectorAll('#picture line.tick')]
                    .map(tick => tick.getBoundingClientRect())
                    .filter(r => !labels.some(l => l.left - 1 <= r.left && r.right <= l.right + 1)).length;
            })(),
            // The order's reference in the verdict broken across lines ("PO-" over "2026-0117").
            // The same for the name of a file a notice is about ("unreadable-" over "trust.json").
            broken_reference: (() => {
                for (const data of document.querySelectorAll('#verdict-text .data, #notice h2 .data')) {
                    const range = document.createRange();
                    range.selectNodeContents(data);
                    const lines = new Set([...range.getClientRects()]
                        .filter(r => r.width > 0).map(r => Math.round(r.top)));
                    if (lines.size > 1) return data.textContent;
                }
                return null;
            })(),
            // A rate's percentage "(0,5 %)" broken across lines anywhere on the page.
            broken_percentages: (() => {
                const found = [];
                const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
                for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                    for (const match of node.textContent.matchAll(/\\([0-9.,]+[ \\u00a0]%\\)/g)) {
                        const range = document.createRange();
                        range.setStart(node, match.index);
                        range.setEnd(node, match.index + match[0].length);
                        const lines = new Set([...range.getClientRects()]
                            .filter(r => r.width > 0).map(r => Math.round(r.top)));
                        if (lines.size > 1) found.push(match[0]);
                    }
                }
                return found;
            })(),
            // Labels of the picture whose boxes overlap another's, as "a / b".
            overlaps: (() => {
                const boxes = [...document.querySelectorAll('#picture text')]
                    .map(node => [node.textContent, node.getBoundingClientRect()]);
                const found = [];
                boxes.forEach(([a, p], i) => boxes.slice(i + 1).forEach(([b, q]) => {
                    if (p.left < q.right - 0.5 && q.left < p.right - 0.5
                        && p.top < q.bottom - 0.5 && q.top < p.bottom - 0.5) found.push(a + ' / ' + b);
                }));
                return found;
            })(),
            // Words of a Latin script in the page's tables broken across lines ("Fracht-
            // führer" split inside the word); codes (keys, hashes) may break anywhere.
            broken_words: (() => {
                const found = [];
                for (const cell of document.querySelectorAll('td, th')) {
                    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
                    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                        if (node.parentElement.closest('code')) continue;
                        for (const match of node.textContent.matchAll(/[A-Za-zÀ-ž]{2,}/g)) {
                            const range = document.createRange();
                            range.setStart(node, match.index);
                            range.setEnd(node, match.index + match[0].length);
                            const lines = new Set([...range.getClientRects()]
                                .filter(r => r.width > 0).map(r => Math.round(r.top)));
                            if (lines.size > 1) found.push(match[0]);
                        }
                    }
                }
                return found;
            })(),
        })"""
    )


def english_left(text):
    """Latin words of two or more letters left in a Chinese page's own words, but for
    abbreviations that are not English (UTC, currency codes: three capitals) and hex digits."""
    import re

    words = set(re.findall(r"[A-Za-z]{2,}", text))
    return sorted(w for w in words if not re.fullmatch(r"[A-Z]{3}|[0-9a-f]+", w))


def drop(page, path):
    """Drops the file at `path` onto the page's drop zone, as a person dragging it would."""
    data = base64.b64encode(pathlib.Path(path).read_bytes()).decode()
    page.evaluate(
        """([name, data]) => {
            const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], name));
            const zone = document.getElementById('drop');
            zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
            zone.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
        }""",
        [pathlib.Path(path).name, data],
    )


def check(spec_path):
    spec = json.loads(pathlib.Path(spec_path).read_text())
    artefacts = pathlib.Path(spec["artefacts"])
    artefacts.mkdir(parents=True, exist_ok=True)
    failures = []
    results = []

    def expect(name, condition, message):
        if not condition:
            failures.append(f"{name}: {message}")

    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as profile:
        context = launch(playwright, profile)
        for case in spec["cases"]:
            name = case["name"]
            page = context.new_page()
            errors = []
            page.on("pageerror", lambda error, errors=errors: errors.append(str(error)))
            # Request headers of every request the page makes (a party's read token, as the
            # proxy in front of its node would add).
            if case.get("headers"):
                page.set_extra_http_headers(case["headers"])
            # Script run in the page before its own (storage made unavailable, filled or
            # damaged, as a browser or an earlier page left it).
            if case.get("init_script"):
                page.add_init_script(case["init_script"])
            # The width the case reads the page at (a phone's 360 px); a desktop's otherwise.
            page.set_viewport_size({"width": case.get("width", 1100), "height": 900})
            target = case["page"]
            page.goto(target if target.startswith("http") else pathlib.Path(target).resolve().as_uri())
            # A page that never reaches the state waited for fails its case (with a screenshot),
            # not the whole run: the other cases still say what they found.
            try:
                state = settled(page)
                if "freshness" in case.get("expect", {}):
                    answered(page, state)
                for action in case.get("actions", []):
                    if action["do"] == "language":
                        page.select_option("#language", action["lang"])
                        # Until the page in that language is laid out whole (the picture too).
                        page.wait_for_function(
                            "(lang) => document.documentElement.lang === lang"
                            " && document.body.dataset.rendered === 'all'",
                            arg=action["lang"],
                            timeout=TIMEOUT_MS,
                        )
                        state = read_state(page)
                    elif action["do"] in ("drop", "pick") and action.get("notice"):
                        # A file that is not used: the verdict shown stays, a notice comes above it.
                        page.evaluate("delete document.body.dataset.notice")
                        if action["do"] == "drop":
                            drop(page, action["file"])
                        else:
                            page.set_input_files("#file", action["file"])
                        page.wait_for_function("() => document.body.dataset.notice", timeout=TIMEOUT_MS)
                        state = read_state(page)
                    elif action["do"] == "drop":
                        page.evaluate("delete document.body.dataset.verdict")
                        drop(page, action["file"])
                        state = settled(page, state["run"])
                    elif action["do"] == "pick":
                        page.evaluate("delete document.body.dataset.verdict")
                        page.set_input_files("#file", action["file"])
                        state = settled(page, state["run"])
                    if "freshness" in action["expect"]:
                        answered(page, state)
                    view = shown(page)
                    page.screenshot(path=str(artefacts / f"{name}-{action['as']}.png"), full_page=True)
                    verify_state(name + "/" + action["as"], action["expect"], state, view, expect)
                if not case.get("actions"):
                    view = shown(page)
                    page.screenshot(path=str(artefacts / f"{name}.png"), full_page=True)
                    verify_state(name, case["expect"], state, view, expect)
                # The print layout (a claims file): the page as printed, and a PDF of it. A print
                # started at the case's width (a phone's too) draws the picture for the paper's
                # width at once, before the page is laid out on paper.
                if case.get("print"):
                    page.emulate_media(media="print")
                    # Media query changes reach the page with its next frame.
                    page.evaluate("new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
                    printed = page.evaluate("(() => { const s = document.querySelector('#picture-section');"
                                            " if (!s) return null; s.querySelector('#picture').dataset.probe = '';"
                                            " return { narrow: s.dataset.narrow,"
                                            " width: s.querySelector('#picture').viewBox.baseVal.width }; })()")
                    expect(name + "/print", printed is None or printed["narrow"] == "false",
                           f"printed at {case.get('width', 1100)} px, the picture keeps a phone's layout"
                           f" ({printed and printed['width']} wide) instead of the paper's")
                    # Then read at the width of an A4 page's text (186 mm at 96 dpi), as on paper:
                    # the picture drawn for it needs no second drawing, and fits.
                    page.set_viewport_size({"width": 703, "height": 900})
                    redrawn = page.evaluate("(() => { const p = document.querySelector('#picture');"
                                            " return !!p && !('probe' in p.dataset); })()")
                    expect(name + "/print", not redrawn, "the picture was drawn again once the page was as wide as paper")
                    page.screenshot(path=str(artefacts / f"{name}-print.png"), full_page=True)
                    verify_state(name + "/print", {}, state, shown(page), expect)
                    page.pdf(path=str(artefacts / f"{name}.pdf"), format="A4", print_background=True)
                    page.emulate_media(media="screen")
                expect(name, not errors, f"script errors: {errors}")
                results.append({"name": name, "verdict": state["verdict"], "entries": state["entries"], "verify_ms": state["verify_ms"]})
            except PlaywrightTimeoutError as error:
                page.screenshot(path=str(artefacts / f"{name}-timeout.png"), full_page=True)
                expect(name, False, f"timed out: {str(error).splitlines()[0]}; script errors: {errors}")
            page.close()
        context.close()

    for result in results:
        print(f"{result['name']}: {result['verdict']}, {result['entries']} entries, verified {result['verify_ms']} ms after navigation")
    for failure in failures:
        print("FAIL " + failure)
    print(f"{len(results) - len({f.split(':')[0].split('/')[0] for f in failures})} passed, "
          f"{len({f.split(':')[0].split('/')[0] for f in failures})} failed")
    return 1 if failures else 0


def verify_state(name, wanted, state, view, expect):
    for key in ("verdict", "entries", "freshness", "memory", "verifying_shown", "notice"):
        if key in wanted:
            expect(name, state[key] == wanted[key], f"{key} {state[key]!r}, expected {wanted[key]!r}")
    expect(name, view["chrome"], "the bar or the drop zone is missing")
    if "heading" in wanted:
        expect(name, view["heading"].startswith(wanted["heading"]),
               f"heading {view['heading']!r}, expected it to start with {wanted['heading']!r}")
    if "failed_step" in wanted:
        expect(name, view["failed_step"] == str(wanted["failed_step"]),
               f"failed step {view['failed_step']!r}, expected {wanted['failed_step']}")
    if "failed_entry" in wanted and wanted["failed_entry"] is not None:
        expect(name, f"#{wanted['failed_entry']}" in view["failure"],
               f"failure line {view['failure']!r} does not name entry #{wanted['failed_entry']}")
    if "timeline" in wanted:
        expect(name, view["timeline"] == wanted["timeline"], f"{view['timeline']} timeline items, expected {wanted['timeline']}")
    if "lang" in wanted:
        expect(name, view["lang"] == wanted["lang"], f"page language {view['lang']!r}")
    for text in wanted.get("contains", []):
        expect(name, text in view["text"], f"the page does not show {text!r}")
    for text in wanted.get("absent", []):
        expect(name, text not in view["text"], f"the page shows {text!r}")
    for text in wanted.get("tables_absent", []):
        expect(name, text not in view["tables"], f"a table shows {text!r}")
    for text in wanted.get("axis", []):
        expect(name, text in view["axis_labels"], f"the picture's axis has no {text!r}: {view['axis_labels']}")
    if "steps" in wanted:
        numbers = [number for number, _ in view["step_status"]]
        expect(name, numbers == list(range(1, wanted["steps"] + 1)),
               f"steps {numbers}, expected 1 to {wanted['steps']}")
    if "failed_step" in wanted:
        after = [number for number, status in view["step_status"]
                 if number > wanted["failed_step"] and status != "not_reached"]
        expect(name, not after, f"steps after the failing one not shown as not reached: {after}")
    if wanted.get("no_english"):
        left = english_left(view["own_words"])
        expect(name, not left, f"English left on the page: {left}")
    if wanted.get("capitalised"):
        expect(name, not view["lowercase_starts"], f"lines start in lower case: {view['lowercase_starts']}")
    if "evidence" in wanted:
        expect(name, view["evidence"] == wanted["evidence"], f"{view['evidence']} pieces of evidence")
    if "picture" in wanted:
        expect(name, view["picture"] == wanted["picture"], f"{view['picture']} pictures")
    # Whatever the case: the picture's labels never overlap, and no word of a table is broken
    # inside (at any width the case opens the page at, and in print).
    expect(name, not view["overlaps"], f"labels of the picture overlap: {view['overlaps']}")
    expect(name, not view["broken_words"], f"words broken inside in tables: {view['broken_words']}")
    expect(name, not view["unlabelled_ticks"], f"{view['unlabelled_ticks']} ticks of the axis have no label")
    repeated = sorted({t for t in view["axis_labels"] if view["axis_labels"].count(t) > 1})
    expect(name, not repeated, f"the axis says these more than once: {repeated}")
    expect(name, not view["broken_percentages"], f"percentages broken across lines: {view['broken_percentages']}")
    expect(name, not view["broken_reference"], f"the order's reference or a file's name broken across lines: {view['broken_reference']}")
    expect(name, view["picture_scale"] is None or view["picture_scale"] >= 0.6,
           f"the picture is shrunk to {view['picture_scale']} of its size, too small to read")
    for text in wanted.get("picture_shows", []):
        expect(name, text in view["picture_texts"], f"the picture does not show {text!r}")
    if wanted.get("every_day_dated"):
        expect(name, view["dated_days"] == view["days"],
               f"{view['days'] - view['dated_days']} of the axis's {view['days']} days have no date under them")
    fit = view["picture_fit"]
    if fit is not None:
        expect(name, fit["sideways"] == 0 and fit["outside"] == 0,
               f"the picture does not fit the width: the page scrolls {fit['sideways']} px sideways,"
               f" the picture sticks out of its card by {fit['outside']} px")
        expect(name, not fit["cut"], f"the picture's texts cut at its edge: {fit['cut']}")


def measure(runs, pages):
    """Opens each page `runs` times, each in a fresh browser profile, and prints when its verdict
    was shown, then the medians. Times are milliseconds on the page's clock: `navigation` from
    navigation start, `parsed` from the end of parsing (DOMContentLoaded), `script` from when the
    page's script started; `verify` is verify_bundle alone, `all` when every entry is laid out."""
    import statistics

    rows = {path: [] for path in pages}
    for run in range(runs):
        for path in pages:
            with sync_playwright() as playwright, tempfile.TemporaryDirectory() as profile:
                context = launch(playwright, profile)
                page = context.new_page()
                page.goto(pathlib.Path(path).resolve().as_uri())
                state = settled_quietly(page)
                timing = state["timing"]
                parsed = state["parsed"]
                context.close()
            row = {
                "navigation": state["verify_ms"],
                "parsed": state["verify_ms"] - round(parsed),
                "script": state["verify_ms"] - timing.get("script_ms", 0),
                "verify": timing.get("verify_ms", -1),
                "painted": timing.get("painted_ms", -1),
                "all": state["rendered_ms"],
            }
            rows[path].append(row)
            print(f"run {run + 1} {pathlib.Path(path).name}: {state['verdict']}, {state['entries']} entries; "
                  + ", ".join(f"{key} {value}" for key, value in row.items()), flush=True)
    print("medians (ms): verdict after navigation / after load (the end of parsing: DOMContentLoaded)"
          " / after the script started; verify_bundle alone; verdict painted, after navigation;"
          " every entry laid out")
    for path, found in rows.items():
        medians = {key: statistics.median(row[key] for row in found) for key in found[0]}
        size = pathlib.Path(path).stat().st_size
        print(f"{pathlib.Path(path).name} ({size} bytes, {len(found)} runs): "
              + ", ".join(f"{key} {value:g}" for key, value in medians.items()))
    return 0


def main_thread_cpu(runs, pages):
    """Opens each page `runs` times under Chromium's tracing and prints, until the verdict was on
    screen (the page's `pactum:verdict` mark), the CPU time of the page's main thread (what a
    loaded machine does not inflate as it does wall-clock times), from navigation and from load
    (the DOMContentLoaded event, as `measure` has it), of its other threads (the module's
    streaming compilation, optimising tier-up) and the wall time the main thread spent compiling
    WebAssembly functions on their first call (`wasm.CompileLazy`), with the medians."""
    import collections
    import statistics

    categories = ["devtools.timeline", "v8", "v8.wasm", "blink", "blink.user_timing", "toplevel"]
    rows = {path: [] for path in pages}
    for run in range(runs):
        for path in pages:
            events, pid, main, end = traced(path, categories)
            if end is None:
                continue
            loaded = min((e["ts"] for e in events if e.get("name") == "EventDispatch" and e["pid"] == pid
                          and (e.get("args", {}).get("data") or {}).get("type") == "DOMContentLoaded"),
                         default=end)
            threads = collections.defaultdict(list)
            for e in events:
                if e.get("ph") == "X" and e["pid"] == pid and "tdur" in e:
                    threads[e["tid"]].append(e)
            other = sum(cpu_between(spans, 0, end) for tid, spans in threads.items() if tid != main)
            lazy = sum(e.get("dur", 0) for e in events
                       if e.get("name") == "wasm.CompileLazy" and e["ts"] < end)
            row = {"main_cpu": round(cpu_between(threads[main], 0, end) / 1000),
                   "main_cpu_after_load": round(cpu_between(threads[main], loaded, end) / 1000),
                   "other_cpu": round(other / 1000), "compile_on_call": round(lazy / 1000)}
            rows[path].append(row)
            print(f"traced run {run + 1} {pathlib.Path(path).name}: "
                  + ", ".join(f"{key} {value}" for key, value in row.items()), flush=True)
    print("medians (ms, traced, until the verdict): main thread CPU, from navigation and from load;"
          " other threads CPU; compiling functions on first call")
    for path, found in rows.items():
        if found:
            medians = {key: statistics.median(row[key] for row in found) for key in found[0]}
            print(f"{pathlib.Path(path).name} ({len(found)} runs): "
                  + ", ".join(f"{key} {value:g}" for key, value in medians.items()))
    return 0


def cpu_between(spans, start, end):
    """CPU time (µs) of one thread's trace spans between two timestamps: each outermost span
    counts once (nested ones are inside it), in proportion to its part in the interval."""
    total, covered = 0.0, -1
    for e in sorted(spans, key=lambda e: e["ts"]):
        begin, length = e["ts"], e["dur"]
        if begin < covered or begin >= end or begin + length <= start:
            continue
        covered = begin + length
        total += e["tdur"] * (min(begin + length, end) - max(begin, start)) / max(length, 1)
    return total


def traced(path, categories):
    """The trace events of one load of `path` until its verdict was put into the document:
    (the events, the page's process id, its main thread id, the verdict mark's timestamp)."""
    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as folder:
        trace = pathlib.Path(folder) / "trace.json"
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        browser.start_tracing(page=page, path=str(trace), categories=categories)
        page.goto(pathlib.Path(path).resolve().as_uri())
        settled_quietly(page)
        browser.stop_tracing()
        browser.close()
        events = json.loads(trace.read_text())
    events = events["traceEvents"] if isinstance(events, dict) else events
    # The page's own marks name its process and main thread (another renderer, the first blank
    # page's, may parse more HTML chunks).
    script = next((e for e in events if e.get("name") == "pactum:script"), None)
    if script is None:
        return events, None, None, None
    pid, main = script["pid"], script["tid"]
    ends = [e["ts"] for e in events if e.get("name") == "pactum:verdict" and e["pid"] == pid]
    return events, pid, main, min(ends) if ends else None


def called(path, out):
    """Writes the indices of the WebAssembly functions `path` compiled on their first call
    (V8's `wasm.CompileLazy`, one per function) before its verdict, one per line: the code the
    verdict waited for. `wasm_code.py called` names them and adds up their bytes."""
    # Now and then a trace comes without the page's marks: load the page again then.
    for _ in range(3):
        events, pid, _, end = traced(path, ["v8.wasm", "blink.user_timing", "devtools.timeline"])
        if end is not None:
            break
    else:
        print(f"{path}: no verdict mark in three traces", file=sys.stderr)
        return 1
    indices = sorted({e["args"]["func_index"] for e in events
                      if e.get("name") == "wasm.CompileLazy" and e["pid"] == pid and e["ts"] < end})
    pathlib.Path(out).write_text("".join(f"{index}\n" for index in indices))
    print(f"{len(indices)} functions compiled on their first call before the verdict, written to {out}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "check":
        sys.exit(check(sys.argv[2]))
    if len(sys.argv) >= 4 and sys.argv[1] == "measure":
        sys.exit(measure(int(sys.argv[2]), sys.argv[3:]))
    if len(sys.argv) >= 4 and sys.argv[1] == "cpu":
        sys.exit(main_thread_cpu(int(sys.argv[2]), sys.argv[3:]))
    if len(sys.argv) == 4 and sys.argv[1] == "called":
        sys.exit(called(sys.argv[2], sys.argv[3]))
    print(__doc__)
    sys.exit(2)
