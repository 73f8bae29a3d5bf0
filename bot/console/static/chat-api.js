/*
 * PolicyGuard (保单守护助手) — the chat page's requests to its server: a message sent to
 * /api/chat (with a time limit, and the words the user sees when it fails), what the
 * server stored of the conversation (/api/chat/recent) and what a person (an agent)
 * wrote into it (/api/chat/inbox).
 *
 * Plain ES5 + fetch/Promise, CSP-safe. Loaded in <head> after chat-history.js (it sends
 * the conversation id kept there and turns replies into its entries) and before chat.js,
 * which uses it through window.PGApi.
 */
(function () {
  'use strict';

  var TIMEOUT_MS = 20000;
  var MAX_SERVER_ERROR_LEN = 300;

  var TEXT = {
    unreachable: '暂时连不上助手，请稍后再试。如有急事，请直接拨打您保险公司的官方客服电话。',
    // The server's own apology (utter_service_trouble in domain.yml; a test keeps them equal).
    noReply: '抱歉，系统暂时出了点问题，没能处理好您的消息，请稍后再试。如有急事，请自己拨打保单上印的保险公司官方客服电话。',
    tooMany: '您发得有点快，请稍等一会儿再发。',
    badInput: '这条消息没能发出，请改一改再试。'
  };

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

  // {message: "the user's text as stored", replies: [...], cursor: n}
  function parseAnswer(body) {
    var data = JSON.parse(body); // throws on non-JSON; caught by caller
    if (!data || typeof data !== 'object' || typeof data.message !== 'string') {
      throw new Error('not an answer');
    }
    return { message: data.message, replies: window.PGHistory.botEntries(data.replies), cursor: data.cursor };
  }

  // The requests of the page whose server is at `endpoint`, for this browser's conversation.
  function connect(endpoint) {
    function sender() {
      return window.PGHistory.sender();
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
          body: JSON.stringify({ sender: sender(), message: text }),
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

    // The conversation's turns the server stored after event `after`: {turns, cursor}
    // ({turns: []} when the server says no); rejects when the server cannot be reached.
    function recent(after) {
      var url = endpoint + '/recent?sender=' + encodeURIComponent(sender()) + '&after=' + after;
      return window.fetch(url, { credentials: 'same-origin', cache: 'no-store' }).then(function (res) {
        return res.ok ? res.json() : { turns: [] };
      });
    }

    // What people wrote into the conversation after message `after`: [{id, text, agent}]
    // ([] when the server says no); rejects when the server cannot be reached.
    function inbox(after) {
      var url = endpoint + '/inbox?sender=' + encodeURIComponent(sender()) + '&after=' + after;
      return window.fetch(url, { credentials: 'same-origin' }).then(function (res) {
        return res.ok ? res.json() : [];
      });
    }

    return { postMessage: postMessage, recent: recent, inbox: inbox };
  }

  window.PGApi = { connect: connect };
}());
