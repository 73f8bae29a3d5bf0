/*
 * PolicyGuard (保单守护助手) — web chat for policyholders: sending messages and showing
 * the conversation.
 *
 * Plain ES5 + fetch/Promise, no framework, no build step, CSP-safe:
 * no inline scripts or handlers, no eval, no innerHTML with message data,
 * no inline styles (all looks are toggled with classes / the hidden attribute).
 *
 * Loaded in <head> WITHOUT defer, after chat-history.js (which applies 关怀版 before
 * first paint and keeps the conversation in localStorage: window.PGHistory) and
 * chat-api.js (the requests to the server: window.PGApi); it runs on DOMContentLoaded.
 * Read-aloud (朗读) lives in chat-care.js; it adds itself to each bot message through
 * window.PGCare.
 */
(function () {
  'use strict';

  var POLL_MS = 4000;
  var MAX_LEN = 1000;
  var COUNTER_FROM = 900;

  var TEXT = {
    greeting: '您好，我是保单守护助手。您可以问我退保、保单贷款、犹豫期等问题，' +
      '也可以说说遇到的可疑情况。我不会向您索要身份证、银行卡或验证码。',
    quickReplies: ['我想退保', '有人说能帮我全额退保', '保单贷款怎么办', '转人工'],
    recovering: '正在取回刚才的回复',
    lostReply: '刚才那条消息没有收到回复，请再发一次。',
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

    var H = window.PGHistory;
    var endpoint = (document.body && document.body.getAttribute('data-api')) || '/api/chat';
    var care = window.PGCare || null;
    var api = window.PGApi.connect(endpoint);
    var store = H.open(api, renderAll);
    var groups = [];      // rendered button groups: {entry, buttons, box}
    var rendered = {};    // entry id -> element
    var pending = null;   // {id, el, chosen: {entry, index}} while a message is on its way
    var busy = false;

    H.bindSwitches(scrollToBottom);

    /* --- rendering (textContent only) --- */

    // A group's buttons work only in the newest bot turn, before the user has answered.
    function isLive(entry) {
      var history = store.entries();
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
      store.startWith(greetingEntry);
      var history = store.entries();
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

    /* --- sending --- */

    // payload: what the server gets; shown: what the bubble says while the message is on
    // its way (the bubble then holds the stored, redacted text, or a button's title).
    // source: {input: true} for typed text, {group, index, keyboard} for a button.
    function send(payload, shown, source) {
      if (busy) { return; }
      var group = source.group || null;
      pending = {
        id: H.shortId(),
        chosen: group ? { entry: group.entry.id, index: source.index } : null,
        title: group ? shown : ''
      };
      store.rememberPending(pending.id, pending.title);
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

      api.postMessage(payload).then(function (result) {
        var sent = pending;
        pending = null;
        setBusy(false);
        if (result.ok) {
          sent.el.parentNode && sent.el.parentNode.removeChild(sent.el);
          var stored = group ? shown : result.answer.message;
          showNew(store.addExchange(sent.id, stored, sent.chosen, result.answer.replies, result.answer.cursor));
          return;
        }

        // Failed: nothing is lost. Put typed text back, reopen the buttons.
        store.forgetPending(sent.id);
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
      return { id: H.shortId(), role: 'bot', text: TEXT.greeting, buttons: buttons, chosen: -1, turn: H.shortId() };
    }

    if (clearButton) {
      clearButton.addEventListener('click', function () {
        if (busy) { return; }
        if (!window.confirm(TEXT.confirmClear)) { return; }
        store.clear();
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
      var after = store.inboxAfter();
      api.inbox(after).then(function (list) {
        var added = store.addInbox(list, after);
        if (added) { showNew(added); }
      })['catch'](function () { /* offline: try again later */ }).then(function () {
        setTimeout(pollInbox, POLL_MS);
      });
    }

    H.sender();
    updateCounter();
    renderAll();
    store.scrubOld();
    store.recoverPending({
      waiting: function (on) { setBusy(on, TEXT.recovering); },
      lost: function () {
        renderEntry({ role: 'bot', text: TEXT.lostReply }, { error: true });
        scrollToBottom();
      },
      added: showNew
    });
    setTimeout(pollInbox, POLL_MS);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
}());
