// The evolution-trail page. It verifies the embedded bundle with the verifier compiled to
// WebAssembly, then lays out the view the Rust code returns. It holds no words of its own (every
// label comes from the view, in the reader's language) and writes text only through
// textContent, never as markup: attested fields cannot inject anything. It shares its <script>
// element with wasm-bindgen's glue (page.html), so strict mode is declared inside the function.

(function () {
  "use strict";
  // The page's data element comes after this script; it is read once the page is parsed.
  const page = document.documentElement;
  const state = {
    lang: page.lang, trust: null, verification: null, runs: 0, timing: {},
    // The view the picture was drawn from, to draw it again at another width.
    pictureView: null,
    // Head addresses: the link's (for the embedded bundle only) and, per verification, the
    // trust file's for the verified bundle's order; what each answered (bytes, or null).
    linkHeads: [], heads: [], fetched: new Map(), asked: false,
    // What became of step 8's memory in this browser (see recall).
    memory: "kept",
    // Between beforeprint and afterprint: the picture is drawn for the paper's width.
    printing: false,
    // A trust file the verifier could not use (wasm_bindgen.TrustProblem): `problem`, the
    // page's own (nothing verified: it takes the verdict's place); `notice`, a dropped one
    // ({ problem, file }: not used, shown above the verdict that stays).
    problem: null, notice: null,
    // What stopped the page otherwise (an exception), shown by showError in each language.
    failure: null,
    // The name of the trust file dropped onto the page that the verification shown used; null
    // while it is the page's own.
    trustFile: null,
  };
  const SVG = "http://www.w3.org/2000/svg";
  // Timeline entries laid out with the verdict, then per chunk.
  const FIRST = 200, CHUNK = 500;

  // Base64 to bytes: natively where the browser can (Uint8Array.fromBase64), else by hand.
  function bytesOf(base64) {
    if (typeof Uint8Array.fromBase64 === "function") return Uint8Array.fromBase64(base64);
    const text = atob(base64);
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    return bytes;
  }

  // The module and a long bundle are embedded deflated; the browser inflates them natively, as
  // a stream (the module is compiled while it is inflated). The bytes go in as one chunk of a
  // stream made here: a Blob's stream reads its bytes back through the browser process 64 KB
  // at a time, a task each, which made inflating the module three times slower.
  function inflated(base64) {
    const bytes = bytesOf(base64);
    const source = new ReadableStream({
      start(controller) {
        controller.enqueue(bytes);
        controller.close();
      },
    });
    return source.pipeThrough(new DecompressionStream("deflate-raw"));
  }

  async function inflate(base64) {
    return new Uint8Array(await new Response(inflated(base64)).arrayBuffer());
  }

  // el("div", {class: "x"}, child, "text", …): an element with attributes and children.
  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value !== null && value !== undefined) node.setAttribute(name, value);
    }
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function svg(tag, attributes, ...children) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
    for (const child of children) {
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function chrome(labels) {
    document.getElementById("page-title").textContent = labels.title;
    document.getElementById("language-label").textContent = labels.language + " ";
    document.getElementById("print").textContent = labels.print;
    document.getElementById("drop-text").textContent = labels.other_bundle + " ";
    document.getElementById("drop-pick").textContent = labels.choose_file;
    document.getElementById("language").value = state.lang;
    document.documentElement.lang = state.lang;
  }

  // A value; someone's quoted text in it is marked as data (it is not the page's language).
  function value(pair) {
    return pair.quoted ? el("span", { class: "data" }, pair.value) : pair.value;
  }

  function section(id, heading, ...children) {
    return el("section", { id, class: "card" }, el("h2", {}, heading), ...children);
  }

  // A Chinese character (CJK, full-width punctuation, the curly quotes Chinese uses), as
  // contract-lang's render::words::is_chinese has it.
  const CHINESE = /[\u3000-\u303F\u3400-\u9FFF\uFF00-\uFFEF“”]$/;

  // The space the page's language sets after `before` and ahead of a number, code or name: none
  // in Chinese after a Chinese character ("签署方：买方5a5a…"), but one after a name in Latin
  // letters ("pactum.example/log ee01 …"), as everywhere in English and German.
  function gap(L, before) {
    return L.space === "" && !CHINESE.test(before) ? " " : L.space;
  }

  function spaced(L, text) {
    return text + gap(L, text);
  }

  // "text (note)", "text（note）": an aside in the page's language.
  function aside(L, text, note) {
    return text + L.open + note + L.close;
  }

  // Which check failed (and at which entry, when it did at one) and why: the verdict of a
  // bundle that does not verify, and of a verified one a party's head contradicts.
  function failureLines(failure, L) {
    return [
      el("p", { id: "failure", class: "failure" },
        aside(L, spaced(L, L.failed_at) + failure.step, failure.step_name) +
        (failure.entry == null ? "" : L.separator + spaced(L, L.entry) + "#" + failure.entry)),
      el("p", { id: "reason", class: "reason" }, L.reason + L.colon + failure.reason),
    ];
  }

  // A check of the verdict's list, marked with how it went.
  function stepItem(number, status, text) {
    const mark = status === "ok" ? "✓" : status === "failed" ? "✗" : "–";
    return el("li", { class: "step " + status, "data-step": number, value: number },
      el("span", { class: "mark" }, mark), " " + text);
  }

  function verdictSection(view) {
    const L = view.labels;
    const box = el("section", { id: "verdict", class: "verdict " + view.verdict });
    box.append(el("h1", { id: "verdict-text" }, (view.verdict === "valid" ? "✓ " : "✗ ") + view.headline,
      view.reference ? spaced(L, L.dash + L.order_ref) : null,
      view.reference ? el("span", { class: "data" }, view.reference) : null));
    if (view.verdict === "valid") {
      box.append(el("p", { class: "sub" }, view.entries_text + L.separator + L.checked_in_browser));
    }
    if (view.failure) {
      const f = view.failure;
      box.append(...failureLines(f, L));
      if (f.explanation) box.append(el("p", { id: "explanation", class: "explanation" }, f.explanation));
      // Codes, the verifier's own message and the signed checkpoints are for whoever checks
      // the claim, not for reading: folded (and unfolded for printing, see wire()).
      const technical = el("details", { id: "technical", class: "technical" }, el("summary", {}, L.technical),
        el("p", { class: "code" }, el("code", {}, f.code)));
      if (f.detail) technical.append(el("p", { class: "detail" }, f.detail));
      for (const item of f.evidence) {
        technical.append(el("div", { class: "evidence" },
          el("p", {}, item.hash ? spaced(L, item.label) : item.label, item.hash ? el("code", {}, item.hash) : null),
          item.note ? el("pre", { class: "signed-note data" }, item.note) : null));
      }
      box.append(technical);
    }
    const list = el("ol", { id: "steps", class: "steps" });
    for (const step of view.steps) {
      list.append(stepItem(step.number, step.status,
        step.status === "not_reached" ? aside(L, step.name, L.not_checked) : step.name));
    }
    box.append(el("h2", {}, L.steps), list);
    if (view.basis.memory) box.append(el("p", { id: "memory", class: "memory" }, view.basis.memory));
    if (state.memory !== "kept") box.append(el("p", { id: "memory-note", class: "memory-note" }, L["memory_" + state.memory]));
    if (view.verdict === "valid") box.append(headsSection(L));
    return box;
  }

  function table(rows, headings) {
    const t = el("table", {});
    if (headings) t.append(el("tr", {}, ...headings.map((h) => el("th", {}, h))));
    for (const row of rows) t.append(el("tr", {}, ...row.map((cell) => el("td", {}, cell))));
    return t;
  }

  function orderSection(view) {
    const L = view.labels;
    const o = view.order;
    const clauses = el("div", { class: "clauses" });
    for (const clause of o.clauses) {
      clauses.append(el("details", { class: "clause", open: "" },
        // The clause's identifier is shown on the English page only: it is not a word of
        // the reader's language.
        el("summary", {}, clause.title, L.space, view.lang === "en" ? el("code", {}, clause.name) : null,
          clause.active ? null : aside(L, "", L.inactive)),
        el("pre", { class: "clause-text" }, clause.text)));
    }
    return section("order", L.order,
      table([[L.order_id, el("code", {}, o.id)], [L.jurisdiction, el("span", { class: "data" }, o.jurisdiction)], [L.sequencer, o.sequencer]]),
      el("h3", {}, L.parties),
      table(o.parties.map((p) => [p.role, fingerprint(p.fingerprint)]), [L.role, L.key]),
      el("h3", {}, L.clauses), clauses,
      el("h3", {}, L.initial_terms),
      table(o.initial_terms.map((t) => [t.name, value(t)])),
      el("h3", {}, L.breaker), el("p", {}, o.breaker),
      el("h3", {}, L.attesters),
      table(o.attesters.map((a) => [a.quoted ? el("span", { class: "data" }, a.name) : a.name, fingerprint(a.fingerprint), L.may_attest + L.colon + a.kinds.join(L.comma)])));
  }

  function entryItem(L, entry) {
    const item = el("li", { class: "entry " + entry.kind, "data-seq": entry.seq },
      el("div", { class: "entry-head" },
        el("span", { class: "seq" }, "#" + entry.seq),
        el("span", { class: "time" }, entry.time),
        el("strong", {}, entry.title),
        entry.attester ? el("span", { class: "attester" }, spaced(L, L.attested_by),
          entry.attester_quoted ? el("span", { class: "data" }, entry.attester) : entry.attester) : null));
    if (entry.facts.length) {
      item.append(el("div", { class: "facts" },
        ...entry.facts.map((f) => el("span", { class: "fact" }, f.name + L.colon, value(f)))));
    }
    for (const line of entry.lines) {
      item.append(el("div", { class: "line " + line.class }, line.text,
        line.quote ? el("span", { class: "data" }, L.space + line.quote) : null,
        line.source ? el("span", { class: "source" }, L.dash + line.source) : null));
    }
    item.append(el("div", { class: "signers" },
      spaced(L, L.signed_by + L.colon + entry.signers.join(L.comma)), el("code", {}, entry.hash)));
    return item;
  }

  function timelineSection(view) {
    const L = view.labels;
    const list = el("ol", { id: "timeline", class: "timeline" }, ...view.timeline.map((entry) => entryItem(L, entry)));
    const terms = el("div", { class: "final" },
      el("h3", {}, L.final_terms), table(view.final_terms.map((t) => [t.name, value(t)])));
    if (view.obligations.length) {
      terms.append(el("h3", {}, L.obligations), el("ul", {}, ...view.obligations.map((o) => el("li", {}, o))));
    }
    return section("timeline-section", L.timeline, list, terms);
  }

  // The rest of a long timeline, a chunk at a time after the verdict is on screen, so the
  // reader never waits for ten thousand entries to be laid out. A newer render (another
  // language, another bundle) stops an older one.
  function appendRest(run, L, from, total) {
    if (run !== state.runs) return;
    if (from >= total) {
      document.body.dataset.rendered = "all";
      document.body.dataset.renderedMs = String(Math.round(performance.now()));
      return;
    }
    const entries = JSON.parse(state.verification.timeline(state.lang, from, CHUNK));
    document.getElementById("timeline").append(...entries.map((entry) => entryItem(L, entry)));
    setTimeout(() => appendRest(run, L, from + entries.length, entries.length ? total : from), 0);
  }

  // Widths of the picture's words, measured in the page's font (the picture is drawn before it
  // is in the document, so it cannot measure itself).
  const measured = { context: null };
  function textWidth(text, size) {
    if (!measured.context) measured.context = document.createElement("canvas").getContext("2d");
    measured.context.font = size + "px " + getComputedStyle(document.body).fontFamily;
    return measured.context.measureText(text).width;
  }

  // The picture's labels, laid out so that none overlaps another or a dot: each label takes the
  // first of its candidate places that is free and inside its bounds. A label that finds none
  // is left out and its text becomes its mark's tooltip: the picture never shows two labels
  // over each other, whatever the language or the length of the history.
  function labelLayout() {
    const taken = [];
    const GAP = 2;
    const free = (box, bounds) => box.x >= bounds.x1 && box.x + box.w <= bounds.x2 &&
      box.y >= bounds.y1 && box.y + box.h <= bounds.y2 &&
      !taken.some((t) => box.x < t.x + t.w + GAP && t.x < box.x + box.w + GAP && box.y < t.y + t.h && t.y < box.y + box.h);
    return {
      block(box) { taken.push(box); },
      // `places`: [x, baseline] where the label's text would start; returns the one chosen.
      place(width, places, bounds) {
        for (const [x, baseline] of places) {
          const box = { x, y: baseline - LABEL_ASCENT, w: width, h: LABEL_ASCENT + LABEL_DESCENT };
          if (free(box, bounds)) {
            taken.push(box);
            return [x, baseline];
          }
        }
        return null;
      },
    };
  }
  // Room above and below a label's baseline, enough for Latin and CJK fonts at 11 px.
  const LABEL_SIZE = 11, LABEL_ASCENT = 13, LABEL_DESCENT = 3;

  // A label (`text` element) at a place chosen by `layout`, or the text as `mark`'s tooltip.
  function placeLabel(root, layout, mark, cls, text, places, bounds) {
    const at = layout.place(textWidth(text, LABEL_SIZE), places, bounds);
    if (at) root.append(svg("text", { class: cls, x: at[0], y: at[1] }, text));
    else if (mark) mark.append(svg("title", {}, text));
  }

  // A name in the left column, on two lines when one is too narrow.
  function trackName(root, layout, name, y, room) {
    const size = 13;
    let lines = [name];
    if (textWidth(name, size) > room) {
      const words = name.includes(" ") ? name.split(" ") : [...name];
      const joiner = name.includes(" ") ? " " : "";
      let split = 1;
      while (split < words.length - 1 && textWidth(words.slice(0, split + 1).join(joiner), size) <= room) split += 1;
      lines = [words.slice(0, split).join(joiner), words.slice(split).join(joiner)];
    }
    const text = svg("text", { class: "track-name", x: 4, y: y - (lines.length - 1) * 8 });
    lines.forEach((line, i) => text.append(svg("tspan", { x: 4, dy: i === 0 ? 0 : 16 }, line)));
    root.append(text);
    layout.block({ x: 0, y: y - lines.length * 8 - 8, w: room + 4, h: lines.length * 16 });
  }

  // The terms over time: a row per term that changed (a stepped line for dates and amounts, a
  // band of labelled segments for modes), breaker windows shaded, reviews as dashed lines. The
  // horizontal axis is the entries, evenly spaced: a tick per entry with its number, and each
  // day's date once under its entries (bracketed when there are several).
  function picture(view) {
    const chart = view.chart;
    const L = view.labels;
    const rows = chart.tracks.concat(chart.obligations ? [chart.obligations] : []);
    // Laid out for the width it is shown at: 960 units on a desktop (scaled to the card), the
    // card's own width in pixels on a phone, where each row's name goes on a line above the
    // row instead of in a column left of it, so nothing scrolls sideways or is cut.
    const room = pictureRoom();
    const narrow = room < NARROW;
    const width = narrow ? room : 960, left = narrow ? 14 : 170, right = narrow ? 24 : 70;
    const nameLine = narrow ? 18 : 0, rowHeight = 84, stride = rowHeight + nameLine, top = 38;
    const axis = top + rows.length * stride + 18, height = axis + 60;
    const last = Math.max(chart.entries - 1, 1);
    const x = (pos) => left + (pos / last) * (width - left - right);
    const whole = { x1: 0, x2: width, y1: 0, y2: height };
    const layout = labelLayout();
    // data-days: how many days the axis has a date for (a test checks each is said).
    const root = svg("svg", { id: "picture", viewBox: `0 0 ${width} ${height}`, role: "img", "data-days": chart.dates.length });
    root.append(svg("title", {}, L.picture));
    // Backgrounds first (windows), then the rows, then every label over them.
    const labels = [];
    for (const w of chart.windows) {
      const from = x(w.from);
      const shade = svg("rect", { class: "window", x: from, y: top - 14, width: Math.max(x(w.to) - from, 3), height: axis - top + 10 });
      root.append(shade, svg("rect", { class: "held", x: x(w.tripped), y: top - 14, width: Math.max(x(w.to) - x(w.tripped), 3), height: axis - top + 10 }));
      labels.push(() => placeLabel(root, layout, shade, "window-label", w.label,
        [[from + 3, top - 3], [from + 3, top - 19]], { x1: from, x2: width, y1: 0, y2: top }));
    }
    rows.forEach((track, index) => {
      const named = top + index * stride;
      if (narrow) trackName(root, layout, track.name, named + 6, width - 8);
      else trackName(root, layout, track.name, named + rowHeight / 2, left - 12);
      // The row itself: under its name on a phone.
      const y0 = named + nameLine;
      root.append(svg("line", { class: "row-rule", x1: left, x2: width - right, y1: y0 + rowHeight - 6, y2: y0 + rowHeight - 6 }));
      const points = track.points;
      const end = (i) => (i + 1 < points.length ? x(points[i + 1].pos) : x(last));
      const row = { x1: left, x2: width, y1: y0 - 4, y2: y0 + rowHeight - 4 };
      if (track.kind === "label") {
        const names = [...new Set(points.map((p) => p.label))];
        points.forEach((p, i) => {
          const x1 = x(p.pos), x2 = end(i);
          const band = svg("rect", { class: "band band-" + (names.indexOf(p.label) % 4), x: x1, y: y0 + 16, width: Math.max(x2 - x1, 2), height: rowHeight - 34 });
          root.append(band);
          // Inside its segment; one too narrow for it (a mode that lasted one entry of many)
          // has its label just above or below the band instead.
          labels.push(() => {
            const w = textWidth(p.label, LABEL_SIZE);
            if (layout.place(w, [[x1 + 4, y0 + rowHeight / 2 + 2]], { x1, x2: x2 - 2, y1: y0, y2: y0 + rowHeight })) {
              root.append(svg("text", { class: "band-label", x: x1 + 4, y: y0 + rowHeight / 2 + 2 }, p.label));
              return;
            }
            placeLabel(root, layout, band, "band-label", p.label,
              [[x1, y0 + 13], [x1 - w, y0 + 13], [x1, y0 + rowHeight - 3], [x1 - w, y0 + rowHeight - 3]], row);
          });
        });
        return;
      }
      const values = points.map((p) => p.value);
      const low = Math.min(...values), high = Math.max(...values);
      const y = (v) => y0 + rowHeight - 14 - ((v - low) / Math.max(high - low, 1)) * (rowHeight - 34);
      let path = "";
      points.forEach((p, i) => {
        path += (i === 0 ? "M" : "L") + x(p.pos) + " " + y(p.value) + " H" + end(i) + " ";
      });
      root.append(svg("path", { class: "series", d: path }));
      const shown = points.filter((p, i) => i === 0 || points[i - 1].label !== p.label);
      const dots = shown.map((p) => {
        const dot = svg("circle", { class: "dot", cx: x(p.pos), cy: y(p.value), r: 3.5 });
        root.append(dot);
        layout.block({ x: x(p.pos) - 3.5, y: y(p.value) - 3.5, w: 7, h: 7 });
        return dot;
      });
      // The latest value first, so it is the one that always shows; then left to right.
      const order = shown.map((_, i) => i);
      if (order.length > 1) order.unshift(order.pop());
      for (const i of order) {
        const p = shown[i], px = x(p.pos), py = y(p.value);
        labels.push(() => {
          const w = textWidth(p.label, LABEL_SIZE);
          const places = [];
          // Above the dot, then below, then a line further up or down; right of it, then left.
          for (const baseline of [py - 7, py + 17, py - 21, py + 31, py - 35]) {
            places.push([px + 7, baseline], [px - 7 - w, baseline]);
          }
          placeLabel(root, layout, dots[i], "point-label", p.label, places, row);
        });
      }
    });
    for (const review of chart.reviews) {
      const rx = x(review.pos);
      const line = svg("line", { class: "review", x1: rx, x2: rx, y1: top - 14, y2: axis - 8 });
      // Not a block for labels: a value's label may cross the dashed line (on a phone the
      // latest amount's only place may be across a review just before it).
      root.append(line);
      labels.push(() => {
        const w = textWidth(review.label, LABEL_SIZE);
        placeLabel(root, layout, line, "review-label", review.label,
          [[rx + 4, axis - 10], [rx - 4 - w, axis - 10], [rx + 4, axis - 24], [rx - 4 - w, axis - 24]], whole);
      });
    }
    for (const label of labels) label();
    // The dates may take more lines than the two the height allows for: the picture grows.
    const bottom = axisMarks(root, layout, chart, x, axis, width);
    root.setAttribute("viewBox", `0 0 ${width} ${Math.max(height, bottom + 8)}`);
    const out = section("picture-section", L.picture, root, chart.legend ? el("p", { class: "note" }, chart.legend) : null);
    out.dataset.narrow = String(narrow);
    return out;
  }

  // Drawn again when the width it is shown at crosses into or out of a phone's (a phone
  // turned, a window resized, a page's print preview at another width).
  function relayoutPicture() {
    const shown = document.getElementById("picture-section");
    if (!shown || !state.pictureView) return;
    if (String(pictureRoom() < NARROW) === shown.dataset.narrow) return;
    shown.replaceWith(picture(state.pictureView));
  }

  // Below this width (CSS pixels of the card's content) the picture takes the phone layout.
  const NARROW = 600;
  // A card's content on an A4 page (page.css: 186 mm of text at 96 px per inch, less the
  // card's 10 pt padding and border on each side).
  const PRINT_ROOM = Math.floor((186 / 25.4) * 96 - 2 * (10 * 96 / 72) - 2);
  const printMedia = window.matchMedia("print");

  // The width, in CSS pixels, of a card's content: what the picture is drawn into. A printed
  // page is as wide as the paper, whatever the screen the print was started on: a phone's
  // picture is drawn again for A4 (wire(): beforeprint, and the print media query).
  function pictureRoom() {
    if (state.printing || printMedia.matches) return PRINT_ROOM;
    const card = document.getElementById("order") || document.getElementById("verdict");
    if (!card) return 960;
    const style = getComputedStyle(card);
    const inner = card.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    return Math.max(Math.floor(inner), 240);
  }

  // The picture's axis: a tick with its entry's number ("#3") where the number fits (every
  // entry of a short history; of a long one, as many as have room: a tick is drawn only with
  // its number), then each day's date once, centred under its entries and bracketed when the
  // day has several ("#3 #4 #5" over one "2026-02-20"); the first and last days first. Returns
  // the baseline of the lowest date.
  function axisMarks(root, layout, chart, x, axis, width) {
    const bounds = { x1: 0, x2: width, y1: axis, y2: Infinity };
    root.append(svg("line", { class: "axis", x1: x(0), x2: x(Math.max(chart.entries - 1, 1)), y1: axis, y2: axis }));
    const step = Math.max(1, Math.ceil(chart.entries / 200));
    for (let pos = 0; pos < chart.entries; pos += step) {
      const number = "#" + pos; // a verified entry's number is its position
      const w = textWidth(number, LABEL_SIZE);
      const at = layout.place(w, [[x(pos) - w / 2, axis + 16]], bounds);
      if (!at) continue;
      root.append(svg("line", { class: "tick", x1: x(pos), x2: x(pos), y1: axis - 4, y2: axis + 4 }),
        svg("text", { class: "axis-label entry-label", x: at[0], y: at[1] }, number));
    }
    const days = chart.dates.slice();
    if (days.length > 1) days.splice(1, 0, days.pop());
    let bottom = axis;
    for (const day of days) {
      const from = x(day.from), to = x(day.to);
      let bracket = null;
      if (day.to > day.from) {
        bracket = svg("path", { class: "day-span", d: `M${from} ${axis + 18} v3 H${to} v-3` });
        root.append(bracket);
      }
      const w = textWidth(day.date, LABEL_SIZE);
      // Under its entries; when a neighbour's date is there already (a day of one entry
      // between long ones), beside its entries, then on the next line down, as many lines as
      // it takes: days of one entry each between long ones all sit at nearly one place on
      // the axis, and every one of them keeps its date. An empty line always has room (the
      // date is kept inside the picture), so at most one line per day is added.
      const centre = (from + to) / 2 - w / 2;
      const inside = Math.min(Math.max(centre, 0), width - w);
      for (let line = 0; line <= days.length; line++) {
        const baseline = axis + 36 + 16 * line;
        const at = layout.place(w, [[centre, baseline], [from - 2, baseline], [to + 2 - w, baseline], [inside, baseline]], bounds);
        if (at) {
          root.append(svg("text", { class: "axis-label day-label", x: at[0], y: at[1] }, day.date));
          bottom = Math.max(bottom, baseline);
          break;
        }
      }
    }
    return bottom;
  }

  // A key's fingerprint, kept on one line (page.css) like those of the order's tables.
  function fingerprint(text) {
    return el("code", { class: "fingerprint" }, text);
  }

  // Items (each a list of nodes or strings) one after the other, separated by "; ".
  function listed(items) {
    return el("span", {}, ...items.flatMap((parts, i) => (i ? ["; "] : []).concat(parts)));
  }

  function basisSection(view) {
    const L = view.labels;
    const b = view.basis;
    const rows = [
      [L.log_key, el("span", {}, el("span", { class: "data" }, b.log_origin), gap(L, b.log_origin), fingerprint(b.log_key))],
      [L.witnesses, listed(b.witnesses.map((w) => [el("span", { class: "data" }, w.name), L.open, fingerprint(w.fingerprint), L.close]))],
      [L.witnesses_required, String(b.min_witnesses)],
      [L.pinned_parties, b.pinned.length ? listed(b.pinned.map((p) => [spaced(L, p.role), fingerprint(p.fingerprint)])) : L.none_pinned],
    ];
    const out = section("basis", L.basis);
    if (b.as_of) out.append(el("p", { id: "as-of", class: "as-of" }, b.as_of));
    // Which trust file: the page's own, or the one dropped onto it.
    const source = state.trustFile === null ? L.trust_source
      : [L.trust_dropped + L.colon, el("span", { class: "data" }, state.trustFile)];
    out.append(table(rows), el("p", { class: "note" }, ...[].concat(source)));
    return out;
  }

  // Shows the current verification in the current language: the verdict at once, then, once
  // it is painted, the order, the picture and the timeline's first entries, then the timeline's
  // tail (appendRest). Leaves on <body> what a test or a monitoring script reads:
  // data-verdict, data-entries, data-run (one more per render), data-verify-ms (when the verdict
  // was on screen, in ms since navigation), data-rendered ("verdict", "first", then "all" when
  // the last entry is laid out), data-timing (verification and layout times) and, once the
  // parties' heads answered, data-freshness (showHeads: "stale" turns the headline to STALE,
  // "invalid" to INVALID).
  function render(verifyMs) {
    if (!state.verification) {
      if (state.problem) renderProblem();
      else if (state.failure) showError(state.failure);
      return;
    }
    const started = performance.now();
    const first = JSON.parse(state.verification.verdict(state.lang));
    showChrome();
    chrome(first.labels);
    const main = document.getElementById("trail");
    main.replaceChildren(verdictSection(first));
    showNotice();
    showFailure();
    const shown = mark("verdict");
    state.runs += 1;
    const run = state.runs;
    const body = document.body.dataset;
    body.verdict = first.verdict;
    body.memory = state.memory;
    body.entries = String(first.entries);
    body.rendered = "verdict";
    body.timing = JSON.stringify(Object.assign(state.timing, {
      verify_ms: verifyMs, verdict_ms: Math.round(shown - started),
    }));
    body.verifyMs = String(Math.round(shown));
    body.run = String(run);
    if (state.fetched.size) showHeads();
    afterPaint(() => renderDetail(run, verifyMs));
    checkHeads();
  }

  // The parties' signed heads (the share link's address, and the trust file's `heads` for the
  // verified bundle's order): fetched once per verification after its verdict, each checked
  // against the verified bundle by the verifier (step 9, as `pactum-verify --head`), shown again
  // in each language. <body data-freshness> is the worst answer once every address answered or
  // failed: "invalid" (a party signed another entry at a position this bundle holds: two
  // histories, so the headline and data-verdict become INVALID), "stale", "refused" (an answer
  // that is not a valid head of this order), "unreachable", "current"; "none" when the page has
  // no address to ask.
  function headsSection(L) {
    const list = el("ul", { id: "heads", class: "heads" });
    if (!state.heads.length) list.append(el("li", { class: "head none" }, L.no_heads));
    for (const { address, party } of state.heads) {
      const fetched = state.fetched.get(address);
      if (fetched === undefined) {
        list.append(el("li", { class: "head asking" }, L.asking));
      } else if (fetched === null) {
        // Which party did not answer, in the reader's words; the address is for whoever
        // looks into it (a tooltip).
        list.append(el("li", { class: "head unreachable", title: address },
          state.verification.unreachable(state.lang, party)));
      } else {
        const head = JSON.parse(state.verification.head(state.lang, fetched));
        const item = el("li", { class: "head " + head.status }, head.text);
        if (head.evidence) {
          item.append(el("div", { class: "evidence" },
            el("p", {}, spaced(L, L.this_entry), el("code", {}, head.evidence[0])),
            el("p", {}, spaced(L, L.head_entry), el("code", {}, head.evidence[1]))));
        }
        list.append(item);
      }
    }
    return el("section", { id: "freshness", class: "freshness" }, el("h2", {}, L.latest), list);
  }

  async function fetchHead(address) {
    try {
      const response = await fetch(address, { cache: "no-store", credentials: "omit", signal: AbortSignal.timeout(15000) });
      return response.ok ? new Uint8Array(await response.arrayBuffer()) : null;
    } catch (_) {
      return null;
    }
  }

  // Asks every address once per verification; an answer that arrives after another bundle was
  // verified is dropped.
  async function checkHeads() {
    if (state.asked) return;
    state.asked = true;
    const verification = state.verification;
    if (!state.heads.length) {
      if (verification.valid()) document.body.dataset.freshness = "none";
      return;
    }
    const answers = await Promise.all(state.heads.map((head) => fetchHead(head.address)));
    if (verification !== state.verification) return;
    state.heads.forEach((head, i) => state.fetched.set(head.address, answers[i]));
    showHeads();
  }

  function showHeads() {
    const section = document.getElementById("freshness");
    if (!section || !state.verification || !state.verification.valid()) return;
    const labels = words();
    section.replaceWith(headsSection(labels));
    const found = [...document.querySelectorAll("#heads .head")].map((item) => item.classList[1]);
    const worst = ["invalid", "stale", "refused", "unreachable", "current"].find((status) => found.includes(status));
    if (worst === "stale") showHeadline(labels.stale, "⚠ ", "stale");
    if (worst === "invalid") {
      showHeadline(labels.invalid, "✗ ", "invalid");
      const failed = state.heads.map(({ address }) => state.fetched.get(address))
        .filter((bytes) => bytes)
        .map((bytes) => JSON.parse(state.verification.head(state.lang, bytes)).failure)
        .find((failure) => failure);
      if (failed) showHeadFailure(failed, labels);
      document.body.dataset.verdict = "invalid";
    }
    if (worst) document.body.dataset.freshness = worst;
  }

  // A party's head contradicts the verified bundle: the verdict says which check failed and
  // why, as for a bundle that does not verify (a ✗ step 9 and its reason), so the reader does
  // not see INVALID over eight ✓ steps.
  function showHeadFailure(failure, L) {
    const headline = document.getElementById("verdict-text");
    const steps = document.getElementById("steps");
    if (!headline || !steps || document.getElementById("failure")) return;
    headline.after(...failureLines(failure, L));
    steps.append(stepItem(failure.step, "failed", failure.step_name));
  }

  // A party's head says this bundle is not the whole story: STALE when it names entries the
  // bundle lacks (as `pactum-verify --head`, exit 3; the history itself verified, so <body
  // data-verdict> stays "valid"), INVALID when it names another entry at a position the bundle
  // holds (two signed histories, exit 1: data-verdict becomes "invalid"). Never VALID.
  function showHeadline(word, mark, kind) {
    const box = document.getElementById("verdict");
    const headline = document.getElementById("verdict-text");
    if (!box || !headline || !headline.firstChild) return;
    box.classList.remove("valid");
    box.classList.add(kind);
    headline.firstChild.textContent = mark + word;
  }

  // A performance mark (`pactum:NAME`, seen in the browser's performance tools and traces):
  // when the script started, the module was ready, the bundle verified and its verdict shown.
  // Returns the time, in ms since navigation.
  function mark(name) {
    return performance.mark("pactum:" + name).startTime;
  }

  // `then` once the browser has painted what is on screen now.
  function afterPaint(then) {
    requestAnimationFrame(() => setTimeout(then, 0));
  }

  function renderDetail(run, verifyMs) {
    if (run !== state.runs) return;
    // The verdict has been painted by now (afterPaint): how long after navigation it showed.
    const painted = mark("painted");
    const started = performance.now();
    const view = JSON.parse(state.verification.view(state.lang, FIRST));
    const main = document.getElementById("trail");
    if (view.order) main.append(orderSection(view));
    state.pictureView = null;
    if (view.chart && (view.chart.tracks.length || view.chart.obligations)) {
      state.pictureView = view;
      main.append(picture(view));
    }
    if (view.timeline.length) main.append(timelineSection(view));
    main.append(basisSection(view));
    const body = document.body.dataset;
    body.rendered = "first";
    const timing = JSON.parse(body.timing);
    timing.detail_ms = Math.round(performance.now() - started);
    timing.painted_ms = Math.round(painted);
    body.timing = JSON.stringify(timing);
    const total = view.verdict === "valid" ? view.entries : 0;
    appendRest(run, view.labels, view.timeline.length, total);
  }

  // `embedded`: the page's own bundle, the one its share link's head address is about.
  // `trust` (the current one unless a trust file was dropped) is kept only once a verification
  // is made with it: one the verifier cannot read throws, and leaves the trust and the
  // verification shown as they were, the latter not freed, to verify the next file dropped.
  // `file`: the name of a dropped trust file (`trust` is its text); one the verifier cannot use
  // becomes a notice above the verdict shown, which stays.
  function verify(bytes, embedded, trust = state.trust, file = null) {
    const started = performance.now();
    const remembered = recall();
    let verification;
    try {
      verification = new wasm_bindgen.Verification(bytes, trust, remembered, state.memory !== "off");
    } catch (error) {
      if (!(error instanceof wasm_bindgen.TrustProblem)) throw error;
      unusable(error, file);
      return;
    }
    if (state.verification) state.verification.free();
    state.verification = verification;
    state.trust = trust;
    if (file !== null) state.trustFile = file;
    // Whatever was said about an earlier file or the page's own trust no longer holds.
    state.problem = replaced(state.problem, null);
    if (state.notice) state.notice = replaced(state.notice.problem, null);
    state.failure = null;
    mark("verified");
    const verifyMs = Math.round(performance.now() - started);
    if (state.memory !== "off") state.memory = state.verification.memory_unreadable() ? "unreadable" : "kept";
    // Each address once: the trust file's, each with its party's role, and the link's own
    // (the node that served the page: its party is not known here).
    const linked = embedded ? state.linkHeads.map((address) => ({ address, party: undefined })) : [];
    const heads = JSON.parse(state.verification.heads()).concat(linked);
    state.heads = heads.filter((head, i) => heads.findIndex((other) => other.address === head.address) === i);
    state.fetched = new Map();
    state.asked = false;
    delete document.body.dataset.freshness;
    const next = state.verification.remember();
    if (next !== undefined && next !== null) keep(next);
    render(verifyMs);
  }

  // What this browser verified before (step 8), like `pactum-verify --state-dir`: per log the
  // largest checkpoint verified, per order the last entry. Kept in localStorage, so a later
  // page with a shorter or rewritten history is caught. state.memory (<body data-memory>) says
  // how that went, and the verdict says it in words unless it is "kept": "off" (the browser
  // refuses storage: a private window, a file:// page with storage blocked; verified without
  // step 8), "full" (the quota is used up: verified, not remembered) or "unreadable" (a damaged
  // value: set aside, verified afresh, replaced by this verification's memory).
  const MEMORY = "pactum.remembered";

  function recall() {
    try {
      const text = localStorage.getItem(MEMORY);
      if (state.memory === "off") state.memory = "kept";
      return text ?? undefined;
    } catch (_) {
      state.memory = "off";
      return undefined;
    }
  }

  function keep(remembered) {
    try {
      localStorage.setItem(MEMORY, remembered);
    } catch (error) {
      // Nothing is remembered; the next verification runs without this one's memory.
      state.memory = error && error.name === "QuotaExceededError" ? "full" : "off";
    }
  }

  // The page's fixed words in the reader's language (the module must be running).
  function words() {
    return JSON.parse(wasm_bindgen.labels(state.lang));
  }

  // `next` in place of `previous`, a TrustProblem (or null), which is freed.
  function replaced(previous, next) {
    if (previous) previous.free();
    return next;
  }

  // A trust file the verifier could not use: the page's own (`file` null; nothing verified,
  // the problem takes the verdict's place) or one dropped onto the page, which is not used:
  // the verdict shown stays, with a notice above it.
  function unusable(problem, file) {
    if (file === null) state.problem = replaced(state.problem, problem);
    else state.notice = { problem: replaced(state.notice && state.notice.problem, problem), file };
    if (state.verification) showNotice();
    else render(0);
  }

  // The folded technical details of a trust problem: its code and the parser's own message.
  function technicalDetails(view) {
    return el("details", { class: "technical" }, el("summary", {}, view.labels.details),
      el("p", { class: "code" }, el("code", {}, view.code)),
      el("p", { class: "detail" }, el("code", { lang: "en" }, view.detail)));
  }

  // The page's own trust file is unusable: what is wrong and what to do, where the verdict
  // would be (the body's data-verdict is "error").
  function renderProblem() {
    const view = JSON.parse(state.problem.view(state.lang));
    showChrome();
    chrome(view.labels);
    document.getElementById("trail").replaceChildren(el("section", { id: "verdict", class: "verdict invalid" },
      el("h1", { id: "verdict-text" }, "✗ " + view.headline),
      el("p", { id: "reason", class: "reason" }, view.what),
      el("p", { class: "todo" }, view.todo),
      technicalDetails(view)));
    showNotice();
    document.body.dataset.verdict = "error";
    document.body.dataset.rendered = "all";
  }

  // The notice about a dropped file that was not used, above what the page shows (in place of
  // an earlier one); <body data-notice> is its code.
  function showNotice() {
    const shown = document.getElementById("notice");
    if (!state.notice) {
      if (shown) shown.remove();
      delete document.body.dataset.notice;
      return;
    }
    const view = JSON.parse(state.notice.problem.view(state.lang, state.notice.file));
    const L = view.labels;
    const notice = el("section", { id: "notice", class: "notice no-print", role: "alert" },
      el("h2", {}, view.headline + L.colon, el("span", { class: "data" }, view.file)),
      el("p", { class: "what" }, view.what),
      el("p", { class: "todo" }, view.todo),
      technicalDetails(view));
    if (shown) shown.replaceWith(notice);
    else document.getElementById("trail").prepend(notice);
    document.body.dataset.notice = view.code;
  }

  // Anything else that stopped the page (a browser without what it needs, a damaged page) or
  // a file opened on it (unreadable): said in the reader's words, the exception folded as a
  // technical detail. Before the module runs, the words are the page's data's (page.rs). A
  // verdict shown stays, with a notice above it (showFailure).
  async function showError(error) {
    state.failure = error;
    if (state.verification) {
      showFailure();
      return;
    }
    // The page may have stopped before its body was parsed, or its data read.
    if (state.failedWords === undefined) {
      state.failedWords = await pageData().then((data) => data.failed, () => null);
    }
    showChrome();
    const running = state.timing.module_ms !== undefined;
    const L = running ? words() : state.failedWords && state.failedWords[state.lang];
    if (running) chrome(L);
    else {
      // Without the module nothing can be verified or printed: the bar keeps its title and
      // the language, in the page's data's words.
      document.documentElement.lang = state.lang;
      document.getElementById("page-title").textContent = L ? L.title : "";
      document.getElementById("language-label").textContent = L ? L.language + " " : "";
      document.getElementById("language").value = state.lang;
      document.getElementById("print").hidden = true;
      document.getElementById("drop").hidden = true;
    }
    document.getElementById("trail").replaceChildren(el("section", { id: "verdict", class: "verdict invalid" },
      el("h1", { id: "verdict-text" }, "✗ " + (L ? L.not_verified : "")),
      L ? el("p", { id: "reason", class: "reason" }, L.page_failed) : null,
      errorDetails(L, error)));
    document.body.dataset.verdict = "error";
    document.body.dataset.rendered = "all";
  }

  function errorDetails(L, error) {
    return el("details", { class: "technical" }, el("summary", {}, L ? L.details : ""),
      el("p", { class: "detail" }, el("code", { lang: "en" }, String(error))));
  }

  // The notice about a file that could not be opened or verified, above the verdict shown;
  // <body data-notice="failed">.
  function showFailure() {
    const shown = document.getElementById("failed-file");
    if (!state.failure) {
      if (shown) shown.remove();
      return;
    }
    const L = words();
    const notice = el("section", { id: "failed-file", class: "notice no-print", role: "alert" },
      el("p", { class: "what" }, L.file_failed), errorDetails(L, state.failure));
    if (shown) shown.replaceWith(notice);
    else document.getElementById("trail").prepend(notice);
    document.body.dataset.notice = "failed";
  }

  // A dropped trust file (JSON, whatever its first key: a bundle starts with a CBOR map's
  // byte, never with white space or "{"; or TOML with a [log] table) replaces the trust and
  // verifies the current bundle again; anything else is verified as a bundle.
  async function open(file) {
    const bytes = new Uint8Array(await file.arrayBuffer());
    const head = new TextDecoder().decode(bytes.slice(0, 2048));
    if (/^\s*\{/.test(head) || /^\s*\[log\]/m.test(head)) {
      verify(state.bundle, state.embedded, new TextDecoder().decode(bytes), file.name);
      return;
    }
    // The link's head address is about the page's own bundle only.
    state.embedded = false;
    state.bundle = bytes;
    verify(bytes, false);
  }

  // The bar (title, language, print) and the drop zone, into the document from their inert
  // <template> (page.html), once, with the first verdict: in the document while it is parsed, they
  // would be styled and laid out when parsing ends, before the verdict.
  function showChrome() {
    const template = document.getElementById("pactum-chrome");
    if (!template) return;
    template.remove();
    document.getElementById("trail").before(template.content.querySelector(".bar"));
    document.body.append(template.content.querySelector("#drop"));
    wire();
  }

  function wire() {
    document.getElementById("language").addEventListener("change", (event) => {
      state.lang = event.target.value;
      render(0);
    });
    document.getElementById("print").addEventListener("click", () => window.print());
    // A printed claims file carries the folded evidence too.
    window.addEventListener("resize", relayoutPicture);
    // The print media query changes when a print (or its preview) starts and ends, and when
    // a tool emulates print media; beforeprint may come before it applies.
    printMedia.addEventListener("change", relayoutPicture);
    window.addEventListener("beforeprint", () => {
      for (const details of document.querySelectorAll("details:not([open])")) {
        details.dataset.printOpened = "";
        details.open = true;
      }
      state.printing = true;
      relayoutPicture();
    });
    window.addEventListener("afterprint", () => {
      for (const details of document.querySelectorAll("details[data-print-opened]")) {
        details.open = false;
        delete details.dataset.printOpened;
      }
      state.printing = false;
      relayoutPicture();
    });
    document.getElementById("file").addEventListener("change", (event) => {
      if (event.target.files.length) open(event.target.files[0]).catch((e) => showError(String(e)));
    });
    const drop = document.getElementById("drop");
    document.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("over"); });
    document.addEventListener("dragleave", () => drop.classList.remove("over"));
    document.addEventListener("drop", (event) => {
      event.preventDefault();
      drop.classList.remove("over");
      if (event.dataTransfer.files.length) open(event.dataTransfer.files[0]).catch((e) => showError(String(e)));
    });
  }

  // The page's data, once the browser has parsed it.
  async function pageData() {
    if (document.readyState === "loading") {
      await new Promise((resolve) => document.addEventListener("DOMContentLoaded", resolve, { once: true }));
    }
    return JSON.parse(document.getElementById("pactum-data").textContent);
  }

  // A long history takes a second or more to verify: the bar and "Verifying…" are painted
  // first (mark `pactum:verifying`). A short one is verified at once, its verdict sooner than
  // a frame would be.
  async function showVerifying() {
    const labels = words();
    showChrome();
    chrome(labels);
    document.getElementById("verdict-text").textContent = labels.verifying;
    mark("verifying");
    await new Promise((resolve) => afterPaint(resolve));
  }

  // Starts compiling the module before the rest of the page (the bundle) is parsed, then
  // inflates the bundle; wasm-bindgen's glue compiles a `Response` of type application/wasm
  // with WebAssembly.instantiateStreaming.
  async function start() {
    state.timing.script_ms = Math.round(mark("script"));
    const wasm = document.getElementById("pactum-wasm").textContent;
    const module = new Response(inflated(wasm), { headers: { "Content-Type": "application/wasm" } });
    const compiled = wasm_bindgen({ module_or_path: module });
    // The first use of localStorage loads it from the browser process, synchronously: done
    // now, while the module compiles, rather than just before verifying.
    recall();
    const data = await pageData();
    state.lang = data.lang;
    state.failedWords = data.failed;
    state.trust = data.trust;
    state.linkHeads = data.heads || [];
    // A small bundle comes as it is, a long one deflated (page.rs: carried_bundle).
    const long = data.bundle_deflated !== undefined;
    const carried = long ? inflate(data.bundle_deflated) : bytesOf(data.bundle);
    const [bundle] = await Promise.all([carried, compiled.then(() => {
      state.timing.module_ms = Math.round(mark("module"));
    })]);
    if (long) await showVerifying();
    state.bundle = bundle;
    state.embedded = true;
    verify(state.bundle, true);
  }

  start().catch((error) => showError(String(error)));
})();
