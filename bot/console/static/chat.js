/*
 * PolicyGuard (保单守护助手) — web chat for policyholders.
 *
 * Plain ES5 + fetch/Promise, no framework, no build step, CSP-safe:
 * no inline scripts or handlers, no eval, no innerHTML with message data,
 * no inline styles (all looks are toggled with classes / the hidden attribute).
 *
 * This file is loaded in <head> WITHOUT defer: the first block below applies
 * 关怀版 (care mode) to <html> before first paint; the rest runs on
 * DOMContentLoaded.
 *
 * localStorage keys:
 *   pg_sender   conversation id sent to the server as "sender"
 *   pg_history  visible conversation (JSON list, max 100 entries, plain text)
 *   pg_care     "1" when 关怀版 is on, "0" when switched off
 *   pg_inbox    id of the last message a person (an agent) wrote that was shown
 */
(function () {
  'use strict';

  var KEY_SENDER = 'pg_sender';
  var KEY_HISTORY = 'pg_history';
  var KEY_CARE = 'pg_care';
  var KEY_INBOX = 'pg_inbox';
  var POLL_MS = 4000;

  var MAX_HISTORY = 100;
  var MAX_LEN = 1000;
  var COUNTER_FROM = 900;
  var TIMEOUT_MS = 20000;
  var MAX_SERVER_ERROR_LEN = 300;

  var TEXT = {
    greeting: '您好，我是保单守护助手。您可以问我退保、保单贷款、犹豫期等问题，' +
      '也可以说说遇到的可疑情况。我不会向您索要身份证、银行卡或验证码。',
    quickReplies: ['我想退保', '有人说能帮我全额退保', '保单贷款怎么办', '转人工'],
    unreachable: '暂时连不上助手，请稍后再试。如有急事，请直接拨打您保险公司的官方客服电话。',
    // The server's own apology (utter_service_trouble in domain.yml; a test keeps them equal).
    noReply: '抱歉，系统暂时出了点问题，没能处理好您的消息，请稍后再试。如有急事，请自己拨打保单上印的保险公司官方客服电话。',
    tooMany: '您发得有点快，请稍等一会儿再发。',
    badInput: '这条消息没能发出，请改一改再试。',
    notSent: '没有发出去，文字已放回输入框',
    notSentButton: '没有发出去，可以再点一次',
    typing: '助手正在输入',
    userSays: '我说：',
    botSays: '助手说：',
    agentSays: '工作人员说：',
    confirmClear: '要清空这台设备上的聊天记录吗？\n清空后会开始一段新的对话。',
    atLimit: '已达到 ' + MAX_LEN + ' 字上限',
    remaining: function (n) { return '还可以输入 ' + n + ' 字'; }
  };

  /* ---------- storage (never throws: private mode, disabled storage, quota) ---------- */

  function storageGet(key) {
    try { return window.localStorage.getItem(key); } catch (e) { return null; }
  }
  function storageSet(key, value) {
    try { window.localStorage.setItem(key, value); return true; } catch (e) { return false; }
  }
  function storageRemove(key) {
    try { window.localStorage.removeItem(key); } catch (e) { /* ignore */ }
  }

  /* ---------- 关怀版: apply before first paint ---------- */

  var root = document.documentElement;

  function setCareClass(on) {
    if (on) { root.classList.add('care'); } else { root.classList.remove('care'); }
  }
  setCareClass(storageGet(KEY_CARE) === '1');

  /* ---------- sender id ---------- */

  function newId() {
    var c = window.crypto || window.msCrypto;
    if (c && typeof c.randomUUID === 'function') {
      try { return c.randomUUID(); } catch (e) { /* insecure context etc. */ }
    }
    var bytes = [];
    var i;
    if (c && typeof c.getRandomValues === 'function') {
      var arr = new Uint8Array(16);
      c.getRandomValues(arr);
      for (i = 0; i < 16; i++) { bytes.push(arr[i]); }
    } else {
      for (i = 0; i < 16; i++) { bytes.push(Math.floor(Math.random() * 256)); }
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
    bytes[8] = (bytes[8] & 0x3f) | 0x80; // variant 10
    var hex = '';
    for (i = 0; i < 16; i++) {
      hex += (bytes[i] + 0x100).toString(16).slice(1);
      if (i === 3 || i === 5 || i === 7 || i === 9) { hex += '-'; }
    }
    return hex;
  }

  var memorySender = null; // used when localStorage is unavailable

  function getSender() {
    var id = storageGet(KEY_SENDER);
    if (id && /^[A-Za-z0-9-]{8,64}$/.test(id)) { return id; }
    if (memorySender) { return memorySender; }
    id = newId();
    if (!storageSet(KEY_SENDER, id)) { memorySender = id; }
    return id;
  }

  function resetSender() {
    memorySender = null;
    storageRemove(KEY_SENDER);
    return getSender();
  }

  /* ---------- history (plain data only; always rendered with textContent) ---------- */

  function cleanButtons(list) {
    var out = [];
    if (!Array.isArray(list)) { return out; }
    for (var i = 0; i < list.length; i++) {
      var b = list[i];
      if (!b || typeof b !== 'object') { continue; }
      var title = typeof b.title === 'string' ? b.title.trim() : '';
      var payload = typeof b.payload === 'string' ? b.payload : '';
      if (!title && !payload) { continue; }
      out.push({ title: title || payload, payload: payload || title });
    }
    return out;
  }

  function cleanEntry(e) {
    if (!e || typeof e !== 'object') { return null; }
    var role = e.role === 'user' ? 'user' : (e.role === 'bot' ? 'bot' : null);
    if (!role) { return null; }
    var text = typeof e.text === 'string' ? e.text : '';
    var buttons = role === 'bot' ? cleanButtons(e.buttons) : [];
    if (!text && !buttons.length) { return null; }
    var entry = { role: role, text: text };
    if (role === 'bot' && e.agent === true) { entry.agent = true; }
    if (buttons.length) {
      entry.buttons = buttons;
      entry.used = e.used === true;
      entry.chosen = (typeof e.chosen === 'number' && e.chosen >= 0 && e.chosen < buttons.length) ? e.chosen : -1;
    }
    return entry;
  }

  function loadHistory() {
    var raw = storageGet(KEY_HISTORY);
    if (!raw) { return []; }
    var data;
    try { data = JSON.parse(raw); } catch (e) { return []; }
    if (!Array.isArray(data)) { return []; }
    var out = [];
    for (var i = 0; i < data.length; i++) {
      var entry = cleanEntry(data[i]);
      if (entry) { out.push(entry); }
    }
    return out.slice(-MAX_HISTORY);
  }

  /* ---------- page ---------- */

  function init() {
    var messagesEl = document.getElementById('messages');
    var typingEl = document.getElementById('typing');
    var typingLabel = document.getElementById('typing-label');
    var form = document.getElementById('composer');
    var input = document.getElementById('message-input');
    var sendButton = document.getElementById('send-button');
    var counter = document.getElementById('char-counter');
    var careToggle = document.getElementById('care-toggle');
    var clearButton = document.getElementById('clear-button');
    if (!messagesEl || !form || !input || !sendButton) { return; }

    var endpoint = (document.body && document.body.getAttribute('data-api')) || '/api/chat';
    var history = loadHistory();
    var busy = false;

    function saveHistory() {
      if (history.length > MAX_HISTORY) { history = history.slice(-MAX_HISTORY); }
      var data = [];
      for (var i = 0; i < history.length; i++) {
        var e = history[i];
        var item = { role: e.role, text: e.text };
        if (e.agent) { item.agent = true; }
        if (e.buttons) { item.buttons = e.buttons; item.used = e.used; item.chosen = e.chosen; }
        data.push(item);
      }
      storageSet(KEY_HISTORY, JSON.stringify(data));
    }

    function removeFromHistory(entry) {
      var i = history.indexOf(entry);
      if (i !== -1) { history.splice(i, 1); saveHistory(); }
    }

    /* --- care mode toggle --- */

    function showCare(on) {
      setCareClass(on);
      if (careToggle) { careToggle.setAttribute('aria-pressed', on ? 'true' : 'false'); }
    }
    showCare(root.classList.contains('care'));
    if (careToggle) {
      careToggle.addEventListener('click', function () {
        var on = !root.classList.contains('care');
        showCare(on);
        storageSet(KEY_CARE, on ? '1' : '0');
        scrollToBottom();
      });
    }
    window.addEventListener('storage', function (ev) {
      if (ev.key === KEY_CARE) { showCare(ev.newValue === '1'); }
    });

    /* --- rendering (textContent only) --- */

    function setGroupEnabled(group, enabled) {
      for (var i = 0; i < group.buttons.length; i++) {
        var b = group.buttons[i];
        b.disabled = !enabled;
        if (enabled || i !== group.entry.chosen) { b.classList.remove('chosen'); }
        if (!enabled && i === group.entry.chosen) { b.classList.add('chosen'); }
      }
      if (group.box) {
        if (enabled) { group.box.classList.remove('used'); } else { group.box.classList.add('used'); }
      }
    }

    function renderEntry(entry, opts) {
      opts = opts || {};
      var el = document.createElement('div');
      el.className = 'msg ' + entry.role + (opts.error ? ' error' : '') + (entry.agent ? ' agent' : '');
      if (opts.error) { el.setAttribute('data-testid', 'error-message'); }

      var who = document.createElement('span');
      // A person's message says so where everyone can see it; the others only to screen readers.
      who.className = entry.agent ? 'msg-who' : 'sr-only';
      who.textContent = entry.role === 'user' ? TEXT.userSays : (entry.agent ? TEXT.agentSays : TEXT.botSays);
      el.appendChild(who);

      if (entry.text) {
        var t = document.createElement('div');
        t.className = 'msg-text';
        t.textContent = entry.text;
        el.appendChild(t);
      }

      if (entry.buttons && entry.buttons.length) {
        var box = document.createElement('div');
        box.className = 'msg-buttons';
        var group = { entry: entry, buttons: [], box: box };
        for (var i = 0; i < entry.buttons.length; i++) {
          var b = document.createElement('button');
          b.type = 'button';
          b.className = 'reply-button';
          b.textContent = entry.buttons[i].title;
          b.addEventListener('click', makeButtonHandler(group, i));
          box.appendChild(b);
          group.buttons.push(b);
        }
        el.appendChild(box);
        if (entry.used) { setGroupEnabled(group, false); }
      }

      messagesEl.appendChild(el);
      return el;
    }

    function markNotSent(el, note) {
      el.classList.add('failed');
      var s = document.createElement('div');
      s.className = 'msg-status';
      s.textContent = note;
      el.appendChild(s);
    }

    function scrollToBottom() {
      messagesEl.scrollTop = messagesEl.scrollHeight;
    }

    // Show the newest messages; if the new replies are taller than the view,
    // keep the beginning of the first new reply in sight (long answers are
    // read from the top).
    function scrollToNew(firstNew) {
      scrollToBottom();
      if (firstNew) {
        // .messages is position: relative, so offsetTop is measured from it.
        var top = firstNew.offsetTop - 8;
        if (top < messagesEl.scrollTop) { messagesEl.scrollTop = Math.max(0, top); }
      }
    }

    /* --- typing indicator & busy state --- */

    function setBusy(on) {
      busy = on;
      sendButton.disabled = on;
      if (clearButton) { clearButton.disabled = on; }
      if (typingEl) {
        typingEl.hidden = !on;
        // Changing the text (not only the visibility) makes screen readers announce it.
        if (typingLabel) { typingLabel.textContent = on ? TEXT.typing : ''; }
      }
      messagesEl.setAttribute('aria-busy', on ? 'true' : 'false');
    }

    /* --- character counter --- */

    function updateCounter() {
      if (!counter) { return; }
      var len = input.value.length;
      if (len < COUNTER_FROM) {
        counter.hidden = true;
        counter.textContent = '';
        counter.classList.remove('at-limit');
        return;
      }
      counter.hidden = false;
      if (len >= MAX_LEN) {
        counter.textContent = TEXT.atLimit;
        counter.classList.add('at-limit');
      } else {
        counter.textContent = TEXT.remaining(MAX_LEN - len);
        counter.classList.remove('at-limit');
      }
    }

    /* --- server --- */

    function serverError(status, body) {
      var msg = '';
      if (body) {
        try {
          var data = JSON.parse(body);
          if (data && typeof data.error === 'string') { msg = data.error.trim(); }
        } catch (e) { /* not JSON */ }
      }
      if (msg && msg.length <= MAX_SERVER_ERROR_LEN) { return msg; }
      if (status === 429) { return TEXT.tooMany; }
      if (status === 400 || status === 413 || status === 422) { return TEXT.badInput; }
      return TEXT.unreachable;
    }

    function parseReplies(body) {
      var data = JSON.parse(body); // throws on non-JSON; caught by caller
      if (!Array.isArray(data)) { throw new Error('not a list'); }
      var out = [];
      for (var i = 0; i < data.length; i++) {
        var item = data[i];
        if (!item || typeof item !== 'object') { continue; }
        var entry = cleanEntry({ role: 'bot', text: item.text, buttons: item.buttons });
        if (entry) { out.push(entry); }
      }
      return out;
    }

    // Resolves to {ok: true, replies: [...]} or {ok: false, error: "..."}; never rejects.
    function postMessage(text) {
      return new Promise(function (resolve) {
        var settled = false;
        var controller = typeof window.AbortController === 'function' ? new window.AbortController() : null;
        function finish(result) {
          if (settled) { return; }
          settled = true;
          clearTimeout(timer);
          resolve(result);
        }
        var timer = setTimeout(function () {
          if (controller) { controller.abort(); }
          finish({ ok: false, error: TEXT.unreachable });
        }, TIMEOUT_MS);

        if (typeof window.fetch !== 'function') {
          finish({ ok: false, error: TEXT.unreachable });
          return;
        }
        var options = {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'Accept': 'application/json' },
          body: JSON.stringify({ sender: getSender(), message: text }),
          credentials: 'same-origin',
          cache: 'no-store'
        };
        if (controller) { options.signal = controller.signal; }

        window.fetch(endpoint, options).then(function (res) {
          return res.text().then(function (body) {
            if (!res.ok) {
              finish({ ok: false, error: serverError(res.status, body) });
              return;
            }
            var replies;
            try { replies = parseReplies(body); } catch (e) {
              finish({ ok: false, error: TEXT.unreachable });
              return;
            }
            // No reply at all is a failure too: the user is never left in silence.
            if (!replies.length) {
              finish({ ok: false, error: TEXT.noReply });
              return;
            }
            finish({ ok: true, replies: replies });
          });
        })['catch'](function () {
          finish({ ok: false, error: TEXT.unreachable });
        });
      });
    }

    /* --- sending --- */

    // payload: what the server gets; shown: what the user's bubble says.
    // source: {input: true} for typed text, {group, index, keyboard} for a button.
    function send(payload, shown, source) {
      if (busy) { return; }

      // A clicked button group is used up: disable it (other groups stay usable).
      var group = source.group || null;
      if (group) {
        group.entry.used = true;
        group.entry.chosen = source.index;
        setGroupEnabled(group, false);
      }

      var userEntry = { role: 'user', text: shown };
      history.push(userEntry);
      saveHistory();
      var userEl = renderEntry(userEntry);

      if (source.input) {
        input.value = '';
        updateCounter();
      } else if (source.keyboard) {
        input.focus();
      }

      setBusy(true);
      scrollToBottom();

      postMessage(payload).then(function (result) {
        setBusy(false);
        if (result.ok) {
          var first = null;
          for (var j = 0; j < result.replies.length; j++) {
            var entry = result.replies[j];
            history.push(entry);
            var el = renderEntry(entry);
            if (!first) { first = el; }
          }
          saveHistory();
          scrollToNew(first);
          return;
        }

        // Failed: nothing is lost. Put typed text back, reopen the buttons.
        removeFromHistory(userEntry);
        markNotSent(userEl, source.input ? TEXT.notSent : TEXT.notSentButton);
        if (source.input && !input.value.trim()) {
          input.value = shown;
          updateCounter();
        }
        if (group) {
          group.entry.used = false;
          group.entry.chosen = -1;
          setGroupEnabled(group, true);
        }
        saveHistory();
        renderEntry({ role: 'bot', text: result.error }, { error: true });
        scrollToBottom();
      });
    }

    function makeButtonHandler(group, index) {
      return function (ev) {
        if (busy || group.entry.used) { return; }
        var btn = group.entry.buttons[index];
        // ev.detail === 0: activated with the keyboard (Enter/Space), not a tap.
        send(btn.payload, btn.title, { group: group, index: index, keyboard: ev && ev.detail === 0 });
      };
    }

    function sendTyped() {
      var text = input.value;
      if (!text.trim()) {
        input.value = '';
        updateCounter();
        input.focus();
        return;
      }
      if (text.length > MAX_LEN) { updateCounter(); return; }
      if (busy) { return; }
      send(text.trim(), text.trim(), { input: true });
    }

    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      sendTyped();
    });

    input.addEventListener('keydown', function (ev) {
      if (ev.key !== 'Enter' && ev.keyCode !== 13) { return; }
      // Enter while choosing characters in a Chinese input method must not send.
      if (ev.isComposing || ev.keyCode === 229) { return; }
      if (ev.shiftKey) { return; } // newline
      ev.preventDefault();
      sendTyped();
    });

    input.addEventListener('input', updateCounter);

    /* --- greeting & clearing --- */

    function greetingEntry() {
      var buttons = [];
      for (var i = 0; i < TEXT.quickReplies.length; i++) {
        buttons.push({ title: TEXT.quickReplies[i], payload: TEXT.quickReplies[i] });
      }
      return { role: 'bot', text: TEXT.greeting, buttons: buttons, used: false, chosen: -1 };
    }

    function renderAll() {
      while (messagesEl.firstChild) { messagesEl.removeChild(messagesEl.firstChild); }
      if (!history.length) {
        history.push(greetingEntry());
        saveHistory();
      }
      messagesEl.setAttribute('aria-busy', 'true');
      for (var i = 0; i < history.length; i++) { renderEntry(history[i]); }
      messagesEl.setAttribute('aria-busy', 'false');
      scrollToBottom();
    }

    if (clearButton) {
      clearButton.addEventListener('click', function () {
        if (busy) { return; }
        if (!window.confirm(TEXT.confirmClear)) { return; }
        history = [];
        storageRemove(KEY_HISTORY);
        storageRemove(KEY_INBOX);
        resetSender();
        renderAll();
        input.focus();
      });
    }

    // What a person (an agent) writes into this conversation, asked for every few seconds
    // while the page is shown (the server keeps it: nothing is lost between visits).
    function pollInbox() {
      if (document.hidden) { setTimeout(pollInbox, POLL_MS); return; }
      var after = parseInt(storageGet(KEY_INBOX) || '0', 10) || 0;
      var url = endpoint + '/inbox?sender=' + encodeURIComponent(getSender()) + '&after=' + after;
      window.fetch(url, { credentials: 'same-origin' }).then(function (res) {
        return res.ok ? res.json() : [];
      }).then(function (list) {
        var first = null;
        for (var i = 0; Array.isArray(list) && i < list.length; i++) {
          var item = list[i];
          if (!item || typeof item.text !== 'string' || !(item.id > after)) { continue; }
          var entry = cleanEntry({ role: 'bot', text: item.text, agent: item.agent === true });
          if (!entry) { continue; }
          history.push(entry);
          var el = renderEntry(entry);
          if (!first) { first = el; }
          after = item.id;
        }
        if (first) {
          storageSet(KEY_INBOX, String(after));
          saveHistory();
          scrollToNew(first);
        }
      })['catch'](function () { /* offline: try again later */ }).then(function () {
        setTimeout(pollInbox, POLL_MS);
      });
    }

    getSender();
    updateCounter();
    renderAll();
    setTimeout(pollInbox, POLL_MS);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
}());
