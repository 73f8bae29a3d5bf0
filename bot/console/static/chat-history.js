/*
 * PolicyGuard (保单守护助手) — what the chat page keeps in this browser: the remembered
 * switches (关怀版, 特大字), the conversation id, the visible conversation and a message
 * on its way, kept the same in every tab and recovered after a reload.
 *
 * Plain ES5, CSP-safe, no text of its own (chat.js has the words). Loaded in <head>
 * WITHOUT defer, before chat.js: its first block applies 关怀版 and 特大字 to <html>
 * before first paint (the public error page loads it for that alone). chat.js uses the
 * rest through window.PGHistory.
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
 * Read-aloud (朗读) keeps its own keys (chat-care.js).
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
  var MAX_HISTORY = 100;

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

  function readJSON(key) {
    try { return JSON.parse(storageGet(key) || 'null'); } catch (e) { return null; }
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

  // The switches' buttons on the page, kept in step with other tabs; toggled() runs after
  // each press.
  function bindSwitches(toggled) {
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
        toggled();
      });
    });
    window.addEventListener('storage', function (ev) {
      SWITCHES.forEach(function (sw) {
        if (ev.key === sw.key) { showSwitch(sw, ev.newValue === '1'); }
      });
    });
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

  /* ---------- entries (plain data only; always rendered with textContent) ---------- */

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

  /* ---------- the conversation of this browser ---------- */

  // The stored conversation; `api` (PGApi.connect) asks its server what it stored, and
  // changed() runs after every change (here or in another tab) so the page can show it.
  function open(api, changed) {
    var history = parseHistory(storageGet(KEY_HISTORY));

    function save() {
      if (history.length > MAX_HISTORY) { history = history.slice(-MAX_HISTORY); }
      storageSet(KEY_HISTORY, JSON.stringify(history));
    }

    // Every change starts from what is stored now (another tab may have written since), so
    // a tab never overwrites a longer history with its own older copy.
    function update(change) {
      var raw = storageGet(KEY_HISTORY);
      if (raw !== null) { history = parseHistory(raw); }
      change(history);
      save();
      changed();
    }

    // Another tab of the same conversation wrote: show its history, never overwrite it.
    window.addEventListener('storage', function (ev) {
      if (ev.key === KEY_HISTORY) {
        history = parseHistory(ev.newValue);
        changed();
      }
    });

    function setCursor(value) {
      if (typeof value === 'number' && value > (parseInt(storageGet(KEY_CURSOR) || '0', 10) || 0)) {
        storageSet(KEY_CURSOR, String(value));
      }
    }

    function forgetPending(id) {
      var stored = readJSON(KEY_PENDING);
      if (!stored || stored.id === id) { storageRemove(KEY_PENDING); }
    }

    // The user's turn and the bot's replies, added once (the message's id marks them: a
    // page that recovered the reply and the page that sent it never both add it). Returns
    // the replies added.
    function addExchange(pid, userText, chosen, replies, cursor) {
      update(function (list) {
        if (findEntry(list, function (e) { return e.pid === pid; })) { replies.length = 0; return; }
        var group = chosen && findEntry(list, function (e) { return e.id === chosen.entry; });
        if (group) { group.chosen = chosen.index; }
        list.push({ id: shortId(), role: 'user', text: userText, pid: pid });
        for (var i = 0; i < replies.length; i++) { list.push(replies[i]); }
      });
      setCursor(cursor);
      forgetPending(pid);
      return replies;
    }

    // A page reloaded while a reply was on its way: the server has the message and, once
    // the bot has answered, its replies (/api/chat/recent after the cursor of that time).
    // hooks: waiting(on), lost() when no reply came, added(replies).
    function recover(p, hooks) {
      var tries = 0;
      hooks.waiting(true);
      function done(turns, cursor) {
        hooks.waiting(false);
        forgetPending(p.id);
        if (!turns) { hooks.lost(); return; }
        var text = p.title || turns[0].text;
        hooks.added(addExchange(p.id, text, null, botEntries(turns.slice(1)), cursor));
      }
      function attempt() {
        api.recent(p.cursor).then(function (data) {
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

    return {
      entries: function () { return history; },
      update: update,
      addExchange: addExchange,
      forgetPending: forgetPending,

      // Shown first in an empty conversation.
      startWith: function (makeEntry) {
        if (!history.length) {
          history.push(makeEntry());
          save();
        }
      },

      rememberPending: function (id, title) {
        storageSet(KEY_PENDING, JSON.stringify({
          id: id, cursor: parseInt(storageGet(KEY_CURSOR) || '0', 10) || 0, title: title || '', at: Date.now()
        }));
      },

      // Recovers the reply to a message left on its way by an earlier page, if recent.
      recoverPending: function (hooks) {
        var left = readJSON(KEY_PENDING);
        if (left && typeof left.id === 'string' && ID_RE.test(left.id) && typeof left.cursor === 'number' &&
            Date.now() - (left.at || 0) < PENDING_MAX_AGE_MS) {
          recover({ id: left.id, cursor: left.cursor, title: typeof left.title === 'string' ? left.title : '' }, hooks);
        } else if (left) {
          storageRemove(KEY_PENDING);
        }
      },

      // The id of the last message from a person (an agent) shown.
      inboxAfter: function () { return parseInt(storageGet(KEY_INBOX) || '0', 10) || 0; },

      // What a person wrote since message `after` (the server's list): each is a turn of
      // its own, which supersedes the bot's earlier buttons. Returns null when nothing is
      // new, else the entries added (none when another tab has shown them already).
      addInbox: function (list, after) {
        var added = [];
        for (var i = 0; Array.isArray(list) && i < list.length; i++) {
          var item = list[i];
          if (!item || typeof item.text !== 'string' || !(item.id > after)) { continue; }
          var entry = cleanEntry({ role: 'bot', text: item.text, agent: item.agent === true, inbox: item.id, turn: shortId() });
          if (entry) { added.push(entry); }
          after = item.id;
        }
        if (!added.length) { return null; }
        update(function (h) {
          added = added.filter(function (a) {
            return !findEntry(h, function (e) { return e.inbox === a.inbox; });
          });
          for (var j = 0; j < added.length; j++) { h.push(added[j]); }
        });
        storageSet(KEY_INBOX, String(after));
        return added;
      },

      // A new conversation: nothing of the old one stays in this browser.
      clear: function () {
        history = [];
        [KEY_HISTORY, KEY_INBOX, KEY_CURSOR, KEY_PENDING].forEach(storageRemove);
        resetSender();
      },

      // A history kept before the page stored only the server's form may still hold what
      // the user typed (an ID or phone number): replace each such message by its stored,
      // redacted form. The server's user turns end with the ones this history shows, in order.
      scrubOld: function () {
        if (!findEntry(history, function (e) { return e.role === 'user' && !e.pid; })) { return; }
        api.recent(0).then(function (data) {
          var stored = (Array.isArray(data && data.turns) ? data.turns : []).filter(function (t) {
            return t && t.role === 'user' && typeof t.text === 'string';
          });
          update(function (list) {
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
    };
  }

  window.PGHistory = {
    bindSwitches: bindSwitches,
    sender: getSender,
    shortId: shortId,
    botEntries: botEntries,
    open: open
  };
}());
