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
 * localStorage keys (the same conversation in every tab of this browser):
 *   pg_sender   conversation id sent to the server as "sender"
 *   pg_history  visible conversation (JSON list, max 100 entries, plain text). It holds
 *               only what the server stored: the user's own messages in their redacted
 *               form, as /api/chat returns them, never as typed.
 *   pg_cursor   id of the newest server event the history holds (for /api/chat/recent)
 *   pg_pending  a message on its way: {id, cursor, title} (no text), so a page reloaded
 *               before the reply came fetches it from /api/chat/recent
 *   pg_care     "1" when 关怀版 is on, "0" when switched off
 *   pg_xl       "1" when 特大字 (a step larger than 关怀版) is on
 *   pg_inbox    id of the last message a person (an agent) wrote that was shown
 * Read-aloud (朗读) lives in chat-care.js; it adds itself to each bot message through
 * window.PGCare.
 */
(function () {
  'use strict';

  var KEY_SENDER = 'pg_sender';
  var KEY_HISTORY = 'pg_history';
  var KEY_CARE = 'pg_care';
  var KEY_INBOX = 'pg_inbox';
  var KEY_CURSOR = 'pg_cursor';
  var KEY_PENDING = 'pg_pending';
  var KEY_XL = 'pg_xl';
  var RECOVER_MS = 1500;
  var RECOVER_TRIES = 14;
  var PENDING_MAX_AGE_MS = 120000;
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
    recovering: '正在取回刚才的回复',
    lostReply: '刚才那条消息没有收到回复，请再发一次。',
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

  /* ---------- 关怀版 and 特大字: apply before first paint ---------- */

  var root = document.documentElement;
  // Each remembered switch: its storage key and the class it puts on <html>.
  var SWITCHES = [
    { key: KEY_CARE, className: 'care', button: 'care-toggle' },
    { key: KEY_XL, className: 'xl', button: 'xl-toggle' }
  ];

  function setClass(name, on) {
    if (on) { root.classList.add(name); } else { root.classList.remove(name); }
  }
  for (var s = 0; s < SWITCHES.length; s++) {
    setClass(SWITCHES[s].className, storageGet(SWITCHES[s].key) === '1');
  }

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

  var ID_RE = /^[A-Za-z0-9-]{1,40}$/;

  function shortId() {
    return newId().slice(0, 13);
  }

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

  // An entry: {id, role, text, turn?, agent?, inbox?, pid?, buttons?, chosen?}. Bot
  // entries of one reply share a turn; only the buttons of the newest turn, with no
  // user message after them, can be pressed.
  function cleanEntry(e) {
    if (!e || typeof e !== 'object') { return null; }
    var role = e.role === 'user' ? 'user' : (e.role === 'bot' ? 'bot' : null);
    if (!role) { return null; }
    var text = typeof e.text === 'string' ? e.text : '';
    var buttons = role === 'bot' ? cleanButtons(e.buttons) : [];
    if (!text && !buttons.length) { return null; }
    var entry = { id: (typeof e.id === 'string' && ID_RE.test(e.id)) ? e.id : shortId(), role: role, text: text };
    if (typeof e.turn === 'string' && ID_RE.test(e.turn)) { entry.turn = e.turn; }
    if (typeof e.pid === 'string' && ID_RE.test(e.pid)) { entry.pid = e.pid; }
    if (role === 'bot' && e.agent === true) { entry.agent = true; }
    if (typeof e.inbox === 'number' && e.inbox > 0) { entry.inbox = e.inbox; }
    if (buttons.length) {
      entry.buttons = buttons;
      entry.chosen = (typeof e.chosen === 'number' && e.chosen >= 0 && e.chosen < buttons.length) ? e.chosen : -1;
    }
    return entry;
  }

  function parseHistory(raw) {
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

  function findEntry(list, test) {
    for (var i = 0; i < list.length; i++) { if (test(list[i])) { return list[i]; } }
    return null;
  }

  function readJSON(key) {
    try { return JSON.parse(storageGet(key) || 'null'); } catch (e) { return null; }
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
    var clearButton = document.getElementById('clear-button');
    var moreHint = document.getElementById('more-hint');
    if (!messagesEl || !form || !input || !sendButton) { return; }

    var endpoint = (document.body && document.body.getAttribute('data-api')) || '/api/chat';
    var care = window.PGCare || null;
    var history = parseHistory(storageGet(KEY_HISTORY));
    var groups = [];      // rendered button groups: {entry, buttons, box}
    var rendered = {};    // entry id -> element
    var pending = null;   // {id, el, chosen: {entry, index}} while a message is on its way
    var busy = false;

    function saveHistory() {
      if (history.length > MAX_HISTORY) { history = history.slice(-MAX_HISTORY); }
      storageSet(KEY_HISTORY, JSON.stringify(history));
    }

    // Every change starts from what is stored now (another tab may have written since), so
    // a tab never overwrites a longer history with its own older copy.
    function updateHistory(change) {
      var raw = storageGet(KEY_HISTORY);
      if (raw !== null) { history = parseHistory(raw); }
      change(history);
      saveHistory();
      renderAll();
    }

    function setCursor(value) {
      if (typeof value === 'number' && value > (parseInt(storageGet(KEY_CURSOR) || '0', 10) || 0)) {
        storageSet(KEY_CURSOR, String(value));
      }
    }

    /* --- remembered switches (关怀版, 特大字) --- */

    function showSwitch(sw, on) {
      setClass(sw.className, on);
      var button = document.getElementById(sw.button);
      if (button) { button.setAttribute('aria-pressed', on ? 'true' : 'false'); }
    }
    SWITCHES.forEach(function (sw) {
      showSwitch(sw, root.classList.contains(sw.className));
      var button = document.getElementById(sw.button);
      if (!button) { return; }
      button.addEventListener('click', function () {
        var on = !root.classList.contains(sw.className);
        showSwitch(sw, on);
        storageSet(sw.key, on ? '1' : '0');
        scrollToBottom();
      });
    });

    window.addEventListener('storage', function (ev) {
      SWITCHES.forEach(function (sw) {
        if (ev.key === sw.key) { showSwitch(sw, ev.newValue === '1'); }
      });
      // Another tab of the same conversation wrote: show its history, never overwrite it.
      if (ev.key === KEY_HISTORY) {
        history = parseHistory(ev.newValue);
        renderAll();
      }
    });

    /* --- rendering (textContent only) --- */

    // A group's buttons work only in the newest bot turn, before the user has answered.
    function isLive(entry) {
      var last = history[history.length - 1];
      var after = false;
      for (var i = history.length - 1; i >= 0 && history[i] !== entry; i--) {
        if (history[i].role === 'user') { after = true; }
      }
      return !after && !!last && (last === entry || (!!entry.turn && last.turn === entry.turn));
    }

    function refreshButtons() {
      for (var g = 0; g < groups.length; g++) {
        var group = groups[g];
        var chosen = pending && pending.chosen && pending.chosen.entry === group.entry.id
          ? pending.chosen.index : group.entry.chosen;
        var live = !busy && isLive(group.entry);
        for (var i = 0; i < group.buttons.length; i++) {
          var b = group.buttons[i];
          b.disabled = !live;
          if (!live && i === chosen) { b.classList.add('chosen'); } else { b.classList.remove('chosen'); }
        }
        if (live) { group.box.classList.remove('used'); } else { group.box.classList.add('used'); }
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
        if (entry.role === 'bot' && care) { care.decorate(el, entry.text); }
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
        groups.push(group);
      }

      messagesEl.appendChild(el);
      if (entry.id) { rendered[entry.id] = el; }
      return el;
    }

    function renderAll() {
      while (messagesEl.firstChild) { messagesEl.removeChild(messagesEl.firstChild); }
      groups = [];
      rendered = {};
      if (!history.length) {
        history.push(greetingEntry());
        saveHistory();
      }
      messagesEl.setAttribute('aria-busy', 'true');
      for (var i = 0; i < history.length; i++) { renderEntry(history[i]); }
      if (pending && pending.el) { messagesEl.appendChild(pending.el); }
      messagesEl.setAttribute('aria-busy', busy ? 'true' : 'false');
      refreshButtons();
      scrollToBottom();
    }

    function markNotSent(el, note) {
      el.classList.add('failed');
      var s = document.createElement('div');
      s.className = 'msg-status';
      s.textContent = note;
      el.appendChild(s);
    }

    /* --- scrolling and the 「还有内容」 hint --- */

    function updateMoreHint() {
      if (!moreHint) { return; }
      var below = messagesEl.scrollHeight - messagesEl.scrollTop - messagesEl.clientHeight;
      moreHint.hidden = below <= 24;
    }

    function scrollToBottom() {
      messagesEl.scrollTop = messagesEl.scrollHeight;
      updateMoreHint();
    }

    // Show the newest messages; if the new replies are taller than the view, keep the
    // beginning of the first new reply in sight (long answers are read from the top) and
    // show 「还有内容」 until the rest has been seen.
    function scrollToNew(firstNew) {
      scrollToBottom();
      if (firstNew) {
        // .messages is position: relative, so offsetTop is measured from it.
        var top = firstNew.offsetTop - 8;
        if (top < messagesEl.scrollTop) { messagesEl.scrollTop = Math.max(0, top); }
      }
      updateMoreHint();
    }

    messagesEl.addEventListener('scroll', updateMoreHint);
    if (moreHint) {
      moreHint.addEventListener('click', function () {
        // On by most of a screen, so the line read last stays in sight.
        messagesEl.scrollTop += Math.max(40, Math.round(messagesEl.clientHeight * 0.8));
        updateMoreHint();
      });
    }

    // New bot replies: shown from their beginning, and read aloud when 自动朗读 is on.
    function showNew(entries) {
      var first = entries.length ? rendered[entries[0].id] : null;
      scrollToNew(first);
      if (care) {
        care.autoRead(entries.filter(function (e) { return e.role === 'bot' && e.text; })
          .map(function (e) { return { el: rendered[e.id], text: e.text }; }));
      }
    }

    /* --- typing indicator & busy state --- */

    function setBusy(on, label) {
      busy = on;
      sendButton.disabled = on;
      if (clearButton) { clearButton.disabled = on; }
      if (typingEl) {
        typingEl.hidden = !on;
        // Changing the text (not only the visibility) makes screen readers announce it.
        if (typingLabel) { typingLabel.textContent = on ? (label || TEXT.typing) : ''; }
      }
      messagesEl.setAttribute('aria-busy', on ? 'true' : 'false');
      refreshButtons();
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

    // Bot entries of one new turn from the server's list of {text, buttons}.
    function botEntries(list) {
      var turn = shortId();
      var out = [];
      for (var i = 0; Array.isArray(list) && i < list.length; i++) {
        var item = list[i];
        if (!item || typeof item !== 'object') { continue; }
        var entry = cleanEntry({ role: 'bot', text: item.text, buttons: item.buttons, turn: turn });
        if (entry) { out.push(entry); }
      }
      return out;
    }

    // {message: "the user's text as stored", replies: [...], cursor: n}
    function parseAnswer(body) {
      var data = JSON.parse(body); // throws on non-JSON; caught by caller
      if (!data || typeof data !== 'object' || typeof data.message !== 'string') {
        throw new Error('not an answer');
      }
      return { message: data.message, replies: botEntries(data.replies), cursor: data.cursor };
    }

    // Resolves to {ok: true, answer: {...}} or {ok: false, error: "..."}; never rejects.
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
            var answer;
            try { answer = parseAnswer(body); } catch (e) {
              finish({ ok: false, error: TEXT.unreachable });
              return;
            }
            // No reply at all is a failure too: the user is never left in silence.
            var replies = answer.replies;
            if (!replies.length) {
              finish({ ok: false, error: TEXT.noReply });
              return;
            }
            finish({ ok: true, answer: answer });
          });
        })['catch'](function () {
          finish({ ok: false, error: TEXT.unreachable });
        });
      });
    }

    /* --- a message on its way --- */

    function rememberPending(p) {
      storageSet(KEY_PENDING, JSON.stringify({
        id: p.id, cursor: parseInt(storageGet(KEY_CURSOR) || '0', 10) || 0, title: p.title || '', at: Date.now()
      }));
    }

    function forgetPending(id) {
      var stored = readJSON(KEY_PENDING);
      if (!stored || stored.id === id) { storageRemove(KEY_PENDING); }
    }

    // The user's turn and the bot's replies, added once (the message's id marks them: a
    // page that recovered the reply and the page that sent it never both add it).
    function addExchange(pid, userText, chosen, replies, cursor) {
      updateHistory(function (list) {
        if (findEntry(list, function (e) { return e.pid === pid; })) { replies.length = 0; return; }
        var group = chosen && findEntry(list, function (e) { return e.id === chosen.entry; });
        if (group) { group.chosen = chosen.index; }
        list.push({ id: shortId(), role: 'user', text: userText, pid: pid });
        for (var i = 0; i < replies.length; i++) { list.push(replies[i]); }
      });
      setCursor(cursor);
      forgetPending(pid);
      showNew(replies);
    }

    /* --- sending --- */

    // payload: what the server gets; shown: what the bubble says while the message is on
    // its way (the bubble then holds the stored, redacted text, or a button's title).
    // source: {input: true} for typed text, {group, index, keyboard} for a button.
    function send(payload, shown, source) {
      if (busy) { return; }
      var group = source.group || null;
      pending = {
        id: shortId(),
        chosen: group ? { entry: group.entry.id, index: source.index } : null,
        title: group ? shown : ''
      };
      rememberPending(pending);
      // Shown, never stored: the text as typed stays only in this bubble until the
      // server says how it stored it.
      pending.el = renderEntry({ role: 'user', text: shown });

      if (source.input) {
        input.value = '';
        updateCounter();
      } else if (source.keyboard) {
        input.focus();
      }

      setBusy(true);
      scrollToBottom();

      postMessage(payload).then(function (result) {
        var sent = pending;
        pending = null;
        setBusy(false);
        if (result.ok) {
          sent.el.parentNode && sent.el.parentNode.removeChild(sent.el);
          var stored = group ? shown : result.answer.message;
          addExchange(sent.id, stored, sent.chosen, result.answer.replies, result.answer.cursor);
          return;
        }

        // Failed: nothing is lost. Put typed text back, reopen the buttons.
        forgetPending(sent.id);
        markNotSent(sent.el, source.input ? TEXT.notSent : TEXT.notSentButton);
        if (source.input && !input.value.trim()) {
          input.value = shown;
          updateCounter();
        }
        renderEntry({ role: 'bot', text: result.error }, { error: true });
        refreshButtons();
        scrollToBottom();
      });
    }

    // A page reloaded while a reply was on its way: the server has the message and, once
    // the bot has answered, its replies (/api/chat/recent after the cursor of that time).
    function recover(p) {
      var tries = 0;
      setBusy(true, TEXT.recovering);
      function done(turns, cursor) {
        setBusy(false);
        forgetPending(p.id);
        if (!turns) {
          renderEntry({ role: 'bot', text: TEXT.lostReply }, { error: true });
          scrollToBottom();
          return;
        }
        var text = p.title || turns[0].text;
        addExchange(p.id, text, null, botEntries(turns.slice(1)), cursor);
      }
      function attempt() {
        var url = endpoint + '/recent?sender=' + encodeURIComponent(getSender()) + '&after=' + p.cursor;
        window.fetch(url, { credentials: 'same-origin', cache: 'no-store' }).then(function (res) {
          return res.ok ? res.json() : { turns: [] };
        }).then(function (data) {
          var turns = Array.isArray(data && data.turns) ? data.turns : [];
          var u = -1;
          for (var i = 0; i < turns.length; i++) { if (turns[i] && turns[i].role === 'user') { u = i; } }
          if (u >= 0 && turns.length > u + 1) { done(turns.slice(u), data.cursor); return; }
          if (++tries < RECOVER_TRIES) { setTimeout(attempt, RECOVER_MS); return; }
          done(u >= 0 ? turns.slice(u) : null, data.cursor);
        })['catch'](function () {
          if (++tries < RECOVER_TRIES) { setTimeout(attempt, RECOVER_MS); } else { done(null); }
        });
      }
      attempt();
    }

    function makeButtonHandler(group, index) {
      return function (ev) {
        if (busy || !isLive(group.entry)) { return; }
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
      return { id: shortId(), role: 'bot', text: TEXT.greeting, buttons: buttons, chosen: -1, turn: shortId() };
    }

    if (clearButton) {
      clearButton.addEventListener('click', function () {
        if (busy) { return; }
        if (!window.confirm(TEXT.confirmClear)) { return; }
        history = [];
        [KEY_HISTORY, KEY_INBOX, KEY_CURSOR, KEY_PENDING].forEach(storageRemove);
        resetSender();
        if (care) { care.stop(); }
        renderAll();
        input.focus();
      });
    }

    // What a person (an agent) writes into this conversation, asked for every few seconds
    // while the page is shown (the server keeps it: nothing is lost between visits). Each
    // is a turn of its own: it supersedes the bot's earlier buttons.
    function pollInbox() {
      if (document.hidden) { setTimeout(pollInbox, POLL_MS); return; }
      var after = parseInt(storageGet(KEY_INBOX) || '0', 10) || 0;
      var url = endpoint + '/inbox?sender=' + encodeURIComponent(getSender()) + '&after=' + after;
      window.fetch(url, { credentials: 'same-origin' }).then(function (res) {
        return res.ok ? res.json() : [];
      }).then(function (list) {
        var added = [];
        for (var i = 0; Array.isArray(list) && i < list.length; i++) {
          var item = list[i];
          if (!item || typeof item.text !== 'string' || !(item.id > after)) { continue; }
          var entry = cleanEntry({ role: 'bot', text: item.text, agent: item.agent === true, inbox: item.id, turn: shortId() });
          if (entry) { added.push(entry); }
          after = item.id;
        }
        if (!added.length) { return; }
        updateHistory(function (h) {
          // Another tab may have shown some of them already.
          added = added.filter(function (a) {
            return !findEntry(h, function (e) { return e.inbox === a.inbox; });
          });
          for (var j = 0; j < added.length; j++) { h.push(added[j]); }
        });
        storageSet(KEY_INBOX, String(after));
        showNew(added);
      })['catch'](function () { /* offline: try again later */ }).then(function () {
        setTimeout(pollInbox, POLL_MS);
      });
    }

    // A history kept before the page stored only the server's form may still hold what the
    // user typed (an ID or phone number): replace each such message by its stored, redacted
    // form. The server's user turns end with the ones this history shows, in order.
    function scrubOldHistory() {
      if (!findEntry(history, function (e) { return e.role === 'user' && !e.pid; })) { return; }
      var url = endpoint + '/recent?sender=' + encodeURIComponent(getSender()) + '&after=0';
      window.fetch(url, { credentials: 'same-origin', cache: 'no-store' }).then(function (res) {
        return res.ok ? res.json() : { turns: [] };
      }).then(function (data) {
        var stored = (Array.isArray(data && data.turns) ? data.turns : []).filter(function (t) {
          return t && t.role === 'user' && typeof t.text === 'string';
        });
        updateHistory(function (list) {
          var users = list.filter(function (e) { return e.role === 'user'; });
          if (!users.length || stored.length < users.length) { return; }
          stored = stored.slice(-users.length);
          for (var i = 0; i < users.length; i++) {
            if (users[i].pid) { continue; }
            // A button's title stays; a message the server stored redacted is replaced.
            if (stored[i].text !== users[i].text && /\[[^\]]+\]/.test(stored[i].text)) {
              users[i].text = stored[i].text;
            }
            users[i].pid = shortId();
          }
        });
      })['catch'](function () { /* offline: next time */ });
    }

    getSender();
    updateCounter();
    renderAll();
    scrubOldHistory();
    var left = readJSON(KEY_PENDING);
    if (left && typeof left.id === 'string' && ID_RE.test(left.id) && typeof left.cursor === 'number' &&
        Date.now() - (left.at || 0) < PENDING_MAX_AGE_MS) {
      recover({ id: left.id, cursor: left.cursor, title: typeof left.title === 'string' ? left.title : '' });
    } else if (left) {
      storageRemove(KEY_PENDING);
    }
    setTimeout(pollInbox, POLL_MS);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
}());
