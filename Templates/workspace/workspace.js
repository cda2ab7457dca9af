// Synoptic workspace. The page works with plain form posts; this script adds,
// on top of the same posts: conditions that show and hide items (clearing a
// hidden answer with a note), rows added, removed and moved, and a debounced
// save after every change that brings back the rules, the diagnostics and
// the preview. It never builds HTML from what a user typed: fragments come
// from the server, escaped there; values go in as text.
(function () {
  'use strict';

  var importer = document.querySelector('[data-import-into]');
  if (importer) {
    importer.hidden = false;
    importer.addEventListener('change', function () {
      var file = importer.files && importer.files[0];
      if (!file) { return; }
      var reader = new FileReader();
      reader.onload = function () { document.getElementById(importer.getAttribute('data-import-into')).value = String(reader.result); };
      reader.readAsText(file);
    });
  }

  var form = document.getElementById('case-form');
  if (!form) { return; }
  var base = '/cases/' + encodeURIComponent(form.getAttribute('data-accession'));
  var csrf = form.querySelector('input[name=csrf]').value;
  var timer = null;
  var inFlight = false;
  var again = false;
  var stopped = false;
  // Each save's round trip in milliseconds, for the browser tests to read.
  window.synopticTimings = [];

  function norm(s) { return String(s).trim().toLowerCase().replace(/[ _]/g, '-'); }

  function byId(id) { return document.getElementById(id); }

  // Saving is shown, not announced; a failure is announced.
  function setStatus(text, alert) {
    var el = byId('status');
    el.textContent = text;
    if (alert) { el.setAttribute('role', 'alert'); } else { el.removeAttribute('role'); }
    el.className = alert ? 'status alert' : 'status';
  }

  function note(text) {
    var el = byId('cleared');
    el.textContent = text;
    el.hidden = false;
  }

  // MARK: qualified values and conditions

  function updateQualifier(select) {
    var box = select.parentNode;
    var q = select.value;
    box.querySelectorAll('input, select').forEach(function (c) {
      if (c === select) { return; }
      if (c.hasAttribute('data-reason')) { c.hidden = q !== 'cbd'; } else { c.hidden = q === 'nr' || q === 'cbd'; }
    });
    var unit = box.querySelector('span[aria-hidden]');
    if (unit) { unit.hidden = q === 'nr' || q === 'cbd'; }
  }

  function answersOf(item, prefix) {
    var scope = form;
    if (prefix) { scope = form.querySelector('[data-row="' + prefix.replace(/\.$/, '') + '"]') || form; }
    var wrap = null;
    scope.querySelectorAll('[data-item]').forEach(function (w) { if (!wrap && w.getAttribute('data-item') === item) { wrap = w; } });
    if (!wrap) { return []; }
    var out = [];
    wrap.querySelectorAll('input, select, textarea').forEach(function (c) {
      if (c.type === 'hidden' || c.hasAttribute('data-qualifier')) { return; }
      if (c.type === 'checkbox') { if (c.checked) { out.push(norm(c.value)); } return; }
      if (c.value.trim() !== '') { out.push(norm(c.value)); }
    });
    return out;
  }

  function labelOf(wrap) {
    var l = wrap.querySelector('label, legend, .label');
    return l ? l.textContent.replace(/\s+(required|conditional)$/, '').trim() : 'an answer';
  }

  function clearHidden(wrap) {
    var was = [];
    wrap.querySelectorAll('input, select, textarea').forEach(function (c) {
      if (c.type === 'hidden') { return; }
      if (c.type === 'checkbox') { if (c.checked) { was.push(c.value); c.checked = false; } return; }
      if (c.hasAttribute('data-qualifier')) {
        if (c.value === 'nr' || c.value === 'cbd') { was.push(c.options[c.selectedIndex].text); }
        c.value = 'exact';
        updateQualifier(c);
        return;
      }
      if (c.tagName === 'SELECT' && c.name.slice(-2) === '~u') { return; }
      if (c.value.trim() !== '') { was.push(c.value); c.value = ''; }
    });
    if (was.length) { note('Cleared "' + labelOf(wrap) + '" (it was ' + was.join(', ') + '): the item no longer applies, so its answer is not kept.'); }
  }

  function applyConditions() {
    form.querySelectorAll('[data-show-item]').forEach(function (wrap) {
      var answers = answersOf(wrap.getAttribute('data-show-item'), wrap.getAttribute('data-show-prefix'));
      var show = true;
      var list = wrap.getAttribute('data-show-in');
      if (list !== null) { show = answers.some(function (a) { return list.split('|').map(norm).indexOf(a) >= 0; }); }
      var present = wrap.getAttribute('data-show-present');
      if (present !== null) { show = (answers.length > 0) === (present === 'true'); }
      if (!show && !wrap.hidden) { clearHidden(wrap); }
      wrap.hidden = !show;
    });
  }

  // MARK: rows

  function nextIndex(list, name) {
    var n = 0;
    list.querySelectorAll(':scope > li.row').forEach(function (li) {
      var i = parseInt(li.getAttribute('data-row').slice(name.length + 1), 10);
      if (!isNaN(i) && i >= n) { n = i + 1; }
    });
    return n;
  }

  function addRow(name) {
    var group = null;
    form.querySelectorAll('[data-group]').forEach(function (g) { if (g.getAttribute('data-group') === name) { group = g; } });
    if (!group) { return; }
    var template = group.querySelector('template[data-row-template]');
    var list = group.querySelector('ol.rows');
    var index = String(nextIndex(list, name));
    // The template is the server's own markup with no user text in it.
    list.insertAdjacentHTML('beforeend', template.innerHTML.split('__i__').join(index));
    var row = list.lastElementChild;
    row.querySelectorAll('[data-move]').forEach(function (b) { b.hidden = false; });
    row.querySelectorAll('[data-qualifier]').forEach(updateQualifier);
    var first = row.querySelector('input:not([type=hidden]), select, textarea');
    if (first) { first.focus(); }
    applyConditions();
  }

  // MARK: saving

  var afterSave = null;

  function schedule() {
    if (stopped) { return; }
    clearTimeout(timer);
    timer = setTimeout(save, 250);
  }

  function save() {
    timer = null;
    if (stopped) { return; }
    if (inFlight) { again = true; return; }
    inFlight = true;
    var started = performance.now();
    var body = new URLSearchParams(new FormData(form));
    setStatus('Saving…', false);
    fetch(base + '/autosave', { method: 'POST', body: body, credentials: 'same-origin', headers: { 'X-CSRF-Token': csrf } })
      .then(function (r) {
        if (r.status === 401) {
          return { status: 401, json: { detail: 'your session has ended. Sign in again in another tab, then come back and save; your answers are still on this page.' } };
        }
        return r.json().then(function (j) { return { status: r.status, json: j }; });
      })
      .then(function (res) {
        var ms = performance.now() - started;
        if (res.status === 409) { conflict(res.json.detail); return; }
        if (res.status !== 200) { setStatus('Not saved: ' + (res.json.detail || ('status ' + res.status)), true); return; }
        update(res.json);
        window.synopticTimings.push(ms);
        setStatus('Saved: revision ' + res.json.revision + ' (' + Math.round(ms) + ' ms).', false);
      })
      .catch(function () { setStatus('Not saved: the server cannot be reached. Your answers are still on this page.', true); })
      .then(function () {
        inFlight = false;
        if (again) { again = false; save(); return; }
        if (afterSave && !stopped) { var next = afterSave; afterSave = null; next(); }
      });
  }

  function conflict(detail) {
    stopped = true;
    var el = byId('status');
    el.textContent = 'Not saved: ' + detail + ' ';
    var a = document.createElement('a');
    a.href = base;
    a.textContent = 'Reload the draft';
    el.appendChild(a);
    el.setAttribute('role', 'alert');
    el.className = 'status alert';
    a.focus();
  }

  function update(j) {
    document.querySelectorAll('[data-revision]').forEach(function (i) { i.value = j.revision; });
    byId('completion').textContent = j.completion;
    byId('summary').textContent = j.summary;
    byId('rules').innerHTML = j.rules;
    byId('diagnostics').innerHTML = j.diagnostics;
    var changes = byId('changes');
    if (changes) { changes.innerHTML = j.changes; }
    Object.keys(j.derived).forEach(function (id) {
      document.querySelectorAll('output[data-derived]').forEach(function (o) {
        if (o.getAttribute('data-derived') === id) { o.textContent = j.derived[id]; }
      });
    });
    form.querySelectorAll('[aria-invalid]').forEach(function (c) { c.removeAttribute('aria-invalid'); });
    j.invalid.forEach(function (name) {
      var c = byId('f-' + name);
      if (c) { c.setAttribute('aria-invalid', 'true'); }
    });
    if (j.cleared.length) {
      note('Cleared because the item no longer applies: ' + j.cleared.map(function (c) { return c.label + ' (was ' + c.value + ')'; }).join('; '));
    }
    // Rows now stored: each keeps its stored position; a removed one goes.
    form.querySelectorAll('li.row').forEach(function (li) {
      var name = li.getAttribute('data-row');
      var removed = li.querySelector('input[name="' + name + '~remove"]');
      if (removed && removed.checked) { li.parentNode.removeChild(li); return; }
      if (Object.prototype.hasOwnProperty.call(j.rows, name)) {
        li.querySelector('input[name="' + name + '~row"]').value = j.rows[name];
      }
    });
    byId('preview-text').textContent = j.preview === null ? 'The preview appears when the case has no errors.' : j.preview;
    byId('preview-html').src = base + '/preview?format=html&rev=' + j.revision;
  }

  // MARK: wiring

  // Without script each list shows one empty row to fill; with it, "Add" makes rows.
  form.querySelectorAll('li.row[data-blank]').forEach(function (li) { li.parentNode.removeChild(li); });
  form.querySelectorAll('[data-add], [data-move]').forEach(function (b) { b.hidden = false; });
  form.querySelectorAll('[data-qualifier]').forEach(updateQualifier);
  applyConditions();

  form.addEventListener('input', schedule);
  form.addEventListener('change', function (ev) {
    if (ev.target.hasAttribute('data-qualifier')) { updateQualifier(ev.target); }
    applyConditions();
    schedule();
  });
  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    clearTimeout(timer);
    save();
  });
  form.addEventListener('click', function (ev) {
    var t = ev.target;
    if (t.hasAttribute('data-add')) { addRow(t.getAttribute('data-add')); schedule(); return; }
    if (t.hasAttribute('data-move')) {
      var li = t.closest('li.row');
      if (t.getAttribute('data-move') === 'up' && li.previousElementSibling) {
        li.parentNode.insertBefore(li, li.previousElementSibling);
      } else if (t.getAttribute('data-move') === 'down' && li.nextElementSibling) {
        li.parentNode.insertBefore(li.nextElementSibling, li);
      }
      t.focus();
      schedule();
    }
  });
  // Signing signs the revision on the page: a change still waiting to be saved is saved first.
  var signForm = document.querySelector('form.sign');
  if (signForm) {
    signForm.addEventListener('submit', function (ev) {
      if (timer === null && !inFlight) { return; }
      ev.preventDefault();
      var waiting = timer !== null;
      clearTimeout(timer);
      afterSave = function () { signForm.submit(); };
      // A change not yet sent is sent now (after the one in flight, if any).
      if (waiting) { save(); }
    });
  }

  // An error or warning takes you to its field.
  document.addEventListener('click', function (ev) {
    var a = ev.target.closest ? ev.target.closest('a[data-focus]') : null;
    if (!a) { return; }
    var target = byId(a.getAttribute('data-focus'));
    if (!target) { return; }
    ev.preventDefault();
    var focusable = target.matches('input, select, textarea') ? target : target.querySelector('input:not([type=hidden]), select, textarea');
    (focusable || target).focus();
    (focusable || target).scrollIntoView({ block: 'center' });
  });
}());
