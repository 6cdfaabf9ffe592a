// stance label: the page. Plain JavaScript, no build step.
// Every piece of data goes into the page through textContent, never innerHTML, so markup
// in a sentence is shown as text and never run. The server owns the queue: each action
// names the sentence this page shows, and the page renders whatever state comes back.
"use strict";

(() => {
  const token = document.querySelector('meta[name="stance-token"]').content;
  const $ = (id) => document.getElementById(id);
  let state = null;
  let busy = false;
  let showGuess = localStorage.getItem("stance-label-show-guess") === "1";
  let builtLabels = "";

  async function call(path, body) {
    const options = { method: body ? "POST" : "GET", headers: { "X-Stance-Token": token }, cache: "no-store" };
    if (body) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, options);
    } catch (err) {
      return { error: "the server does not answer (stopped?): this action was NOT saved. Restart `stance label` and reload." };
    }
    let data = null;
    try {
      data = await response.json();
    } catch (err) {
      data = { error: `HTTP ${response.status}: NOT saved` };
    }
    if (response.ok) return { state: data };
    return { error: (data && data.error) || `HTTP ${response.status}`, state: (data && data.state) || null };
  }

  async function act(kind, body) {
    if (busy || !state) return;
    busy = true;
    document.body.classList.add("busy");
    const result = await call(`/api/${kind}`, { run: state.run, ...body });
    busy = false;
    document.body.classList.remove("busy");
    if (result.state) render(result.state);
    if (result.error) setStatus(result.error, true);
  }

  function labelWith(name) {
    if (state && state.item) act("label", { id: state.item.id, label: name });
  }

  function undo() {
    if (!state) return;
    if (!state.undo) {
      setStatus("nothing to undo", true);
      return;
    }
    act("undo", { id: state.undo.id });
  }

  function skip() {
    if (state && state.item) act("skip", { id: state.item.id });
  }

  function toggleGuess() {
    showGuess = !showGuess;
    localStorage.setItem("stance-label-show-guess", showGuess ? "1" : "0");
    if (state) render(state);
  }

  function toggleGuide() {
    $("guide").hidden = !$("guide").hidden;
  }

  function setStatus(text, isError) {
    $("status").textContent = text || "";
    $("status").classList.toggle("error", Boolean(isError));
  }

  function paragraphs(container, texts) {
    container.replaceChildren(...texts.map((text) => {
      const p = document.createElement("p");
      p.textContent = text;
      return p;
    }));
  }

  function buildLabels(labels) {
    const signature = JSON.stringify(labels);
    if (signature === builtLabels) return;
    builtLabels = signature;
    $("buttons").replaceChildren(...labels.map((label) => {
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.label = label.name;
      if (label.key) {
        const kbd = document.createElement("kbd");
        kbd.textContent = label.key;
        button.append(kbd, " ");
      }
      button.append(label.name);
      button.title = label.definition;
      button.addEventListener("click", () => {
        button.blur();
        labelWith(label.name);
      });
      return button;
    }));
    const defs = labels.filter((label) => label.definition).flatMap((label) => {
      const dt = document.createElement("dt");
      dt.textContent = `${label.key} ${label.name}`;
      const dd = document.createElement("dd");
      dd.textContent = label.definition;
      return [dt, dd];
    });
    $("defs").replaceChildren(...defs);
  }

  function percent(p) {
    return typeof p === "number" ? ` (p ${p.toFixed(2)})` : "";
  }

  function renderProgress(s) {
    const p = s.progress;
    const counts = Object.entries(p.counts).map(([name, n]) => `${name} ${n}`).join(" · ");
    const verb = s.mode === "review" ? "reviewed" : "labeled";
    const pace = p.per_minute === null ? "" : ` · ${p.per_minute} labels/min`;
    const skipped = p.skipped ? ` (${p.skipped} skipped)` : "";
    $("progress").textContent = `${p.done} ${verb} · ${p.remaining} to go${skipped} · ${counts}${pace}`;
    const m = s.model;
    let model = m.name ? `ranking: ${m.name}` : "order: file order";
    if (s.mode === "review") model = m.name;
    if (m.training) model += " · retraining…";
    else if (m.next_retrain !== null && s.mode === "label") model += ` · next retrain in ${m.next_retrain} label(s)`;
    if (m.error) model += ` · last retrain failed: ${m.error}`;
    $("model").textContent = model;
    $("files").textContent = Object.entries(s.files).map(([name, path]) => `${name}: ${path}`).join(" · ");
  }

  function render(s, keepStatus) {
    state = s;
    buildLabels(s.labels);
    $("mode").textContent = s.mode === "review" ? "· review of suspicious labels" : "";
    const item = s.item;
    $("card").hidden = !item;
    $("done").hidden = Boolean(item);
    $("buttons").hidden = !item;
    $("skip").disabled = !item;
    $("undo").disabled = !s.undo;
    $("undo").title = s.undo ? `undo ${s.undo.label}: ${s.undo.text}` : "nothing to undo";
    $("toggle-guess").hidden = s.mode === "review";
    $("toggle-guess-text").textContent = showGuess ? "hide model guess" : "show model guess";
    for (const button of $("buttons").children) button.classList.remove("given", "suggested");
    if (item) {
      paragraphs($("before"), item.before);
      $("sentence").textContent = item.text;
      paragraphs($("after"), item.after);
      $("meta").textContent = item.meta.map(([name, value]) => `${name}: ${value}`).join(" · ");
      $("review").hidden = s.mode !== "review";
      if (s.mode === "review") {
        $("review").textContent = `given: ${item.given}${percent(item.p_given)} · suggested: ${item.suggested}` +
          `${percent(item.p_suggested)} — press the given label's key (or k) to keep it`;
        for (const button of $("buttons").children) {
          if (button.dataset.label === item.given) button.classList.add("given");
          if (button.dataset.label === item.suggested) button.classList.add("suggested");
        }
      }
      $("guess").hidden = s.mode === "review" || !showGuess;
      $("guess").textContent = item.guess
        ? `model guess: ${item.guess.label} (p ${item.guess.p.toFixed(2)}) — ` +
          Object.entries(item.guess.scores).map(([name, p]) => `${name} ${p.toFixed(2)}`).join(", ")
        : "no model guess yet (one comes with --model, or after the first retrain)";
    } else {
      $("done-title").textContent = s.mode === "review" ? "All flags reviewed" : "All sentences labeled";
      $("done-text").textContent = s.mode === "review"
        ? `Every suspicious label is kept or changed; see ${s.files.log}. Undo still works.`
        : `Every sentence of ${s.files.pool} is in ${s.files.out}. Undo still works; Ctrl+C stops the server.`;
    }
    $("lead").textContent = s.lead ? s.lead.charAt(0).toUpperCase() + s.lead.slice(1) : "";
    if (!s.guide) $("lead").textContent = "No annotation guide found (pass --guide FILE to show one).";
    $("guide-text").textContent = s.guide || "";
    $("toggle-guide").hidden = !s.guide;
    if (!keepStatus) setStatus(s.message || "", false);
    renderProgress(s);
  }

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
    if (event.target instanceof Element && event.target.closest("input, textarea, select")) return;
    const key = event.key;
    if (/^[1-9]$/.test(key)) {
      const label = state && state.labels[Number(key) - 1];
      if (label) {
        event.preventDefault();
        labelWith(label.name);
      }
    } else if (key === "k" && state && state.mode === "review" && state.item) {
      labelWith(state.item.given);
    } else if (key === "u") {
      undo();
    } else if (key === "s") {
      skip();
    } else if (key === "g") {
      toggleGuess();
    } else if (key === "?") {
      toggleGuide();
    }
  });
  $("skip").addEventListener("click", (event) => { event.currentTarget.blur(); skip(); });
  $("undo").addEventListener("click", (event) => { event.currentTarget.blur(); undo(); });
  $("toggle-guess").addEventListener("click", (event) => { event.currentTarget.blur(); toggleGuess(); });
  $("toggle-guide").addEventListener("click", (event) => { event.currentTarget.blur(); toggleGuide(); });

  let lastPoll = 0;

  async function refresh(full) {
    if (busy) return;
    lastPoll = Date.now();
    const result = await call("/api/state");
    if (busy || !result.state) {
      if (result.error) setStatus(result.error, true);
      return;
    }
    const fresh = result.state;
    const sameItem = state && fresh.run === state.run &&
      (fresh.item ? fresh.item.id : null) === (state.item ? state.item.id : null);
    if (full || !state) render(fresh);
    else if (sameItem) render(fresh, true); // a new guess after a retrain, progress, undo
    else {
      // The sentence on screen never changes under a reader's eyes: another tab moved on,
      // and this tab's next key is refused and brings the current sentence.
      state = { ...state, progress: fresh.progress, model: fresh.model };
      renderProgress(state);
    }
  }

  window.addEventListener("focus", () => refresh(true));
  // Poll every 5 s, every second while a retrain runs, so its new ranking shows soon.
  setInterval(() => {
    const due = Date.now() - lastPoll > (state && state.model.training ? 1000 : 5000);
    if (document.visibilityState === "visible" && due) refresh(false);
  }, 500);
  refresh(true);
})();
