/*
 * PolicyGuard (保单守护助手) — read-aloud (朗读) for 关怀版.
 *
 * Every bot message gets a 「▶ 朗读」 button (shown in 关怀版); 自动朗读 reads each new
 * reply as it arrives. It uses the browser's speechSynthesis with a Chinese voice (zh-CN
 * first, else any zh voice) at the rate chosen under 语速 (0.8 by default: slower). Where
 * the browser cannot speak, or has no Chinese voice, it says so in plain words.
 *
 * What is read: the bubble's text, without its source line (「来源：…」) or web addresses;
 * the buttons are not read. Long text is spoken sentence by sentence (some browsers stop
 * a long utterance half-way).
 *
 * localStorage keys: pg_autoread ("1" when 自动朗读 is on), pg_rate (the 语速).
 * Loaded with defer, before chat.js starts the page, which calls window.PGCare.
 */
(function () {
  'use strict';

  var KEY_AUTO = 'pg_autoread';
  var KEY_RATE = 'pg_rate';
  var DEFAULT_RATE = 0.8;
  var RATES = [0.6, 0.8, 1, 1.2];
  var VOICE_WAIT_MS = 1500;
  var CHUNK = 120;

  var TEXT = {
    play: '▶ 朗读',
    stop: '■ 停止',
    playLabel: '朗读这条回复',
    stopLabel: '停止朗读',
    noSpeech: '这个浏览器不能朗读文字。可以换用手机自带的浏览器再试，或请家人帮忙在手机设置里打开“文字转语音”。',
    noVoice: '这台设备上没有中文语音，暂时不能朗读。可以在手机的“设置”里找到“文字转语音”，下载中文（普通话）语音后再试。',
    failed: '朗读没有成功，请再点一次“朗读”。'
  };

  function storageGet(key) {
    try { return window.localStorage.getItem(key); } catch (e) { return null; }
  }
  function storageSet(key, value) {
    try { window.localStorage.setItem(key, value); } catch (e) { /* ignore */ }
  }

  function synth() {
    var s = window.speechSynthesis;
    return s && typeof s.speak === 'function' && typeof window.SpeechSynthesisUtterance === 'function' ? s : null;
  }

  // The words worth hearing: no source line, no web address.
  function speakable(text) {
    return String(text || '').split('\n').filter(function (line) {
      return !/^\s*(来源|出处)\s*[：:]/.test(line);
    }).join('\n').replace(/https?:\/\/\S+/g, '').replace(/[ \t]+/g, ' ').trim();
  }

  // Sentences, joined up to about CHUNK characters.
  function chunks(text) {
    var parts = text.replace(/([。！？!?；;\n])/g, '$1\u0000').split('\u0000');
    var out = [];
    var current = '';
    for (var i = 0; i < parts.length; i++) {
      var part = parts[i].replace(/\n/g, '');
      if (!part.trim()) { continue; }
      if (current && (current + part).length > CHUNK) { out.push(current); current = ''; }
      current += part;
    }
    if (current) { out.push(current); }
    return out;
  }

  // zh-CN (Mandarin, mainland) first, then Mandarin elsewhere, then any Chinese voice.
  function voiceRank(voice) {
    var lang = String(voice.lang || '').replace(/_/g, '-').toLowerCase();
    if (/^(zh-cn|zh-hans-cn|cmn-hans-cn|cmn-cn)$/.test(lang)) { return 3; }
    if (/^(zh-tw|zh-hant-tw|cmn)/.test(lang)) { return 2; }
    return /^zh/.test(lang) ? 1 : 0;
  }

  function pickVoice(voices) {
    var best = null;
    for (var i = 0; i < voices.length; i++) {
      if (voiceRank(voices[i]) > (best ? voiceRank(best) : 0)) { best = voices[i]; }
    }
    return best;
  }

  // Calls back with the Chinese voice, or null; voices may arrive after the page loads.
  function withVoice(callback) {
    var s = synth();
    var voices = s && typeof s.getVoices === 'function' ? s.getVoices() || [] : [];
    if (voices.length || !s || typeof s.addEventListener !== 'function') {
      callback(pickVoice(voices));
      return;
    }
    var called = false;
    function once() {
      if (called) { return; }
      called = true;
      s.removeEventListener('voiceschanged', once);
      callback(pickVoice(s.getVoices() || []));
    }
    s.addEventListener('voiceschanged', once);
    setTimeout(once, VOICE_WAIT_MS);
  }

  function rate() {
    var r = parseFloat(storageGet(KEY_RATE));
    return RATES.indexOf(r) === -1 ? DEFAULT_RATE : r;
  }

  var note = null;
  var speakingButton = null;
  var generation = 0; // bumped on every stop: callbacks of older utterances do nothing

  function say(message) {
    if (!note) { return; }
    note.textContent = message || '';
    note.hidden = !message;
  }

  function showPlaying(button, on) {
    if (!button) { return; }
    button.textContent = on ? TEXT.stop : TEXT.play;
    button.setAttribute('aria-label', on ? TEXT.stopLabel : TEXT.playLabel);
    button.setAttribute('aria-pressed', on ? 'true' : 'false');
  }

  function stop() {
    generation++;
    var s = synth();
    if (s && typeof s.cancel === 'function') { s.cancel(); }
    showPlaying(speakingButton, false);
    speakingButton = null;
  }

  // Read items [{text, button}] one after another; whatever was being read stops first.
  function speak(items) {
    stop();
    var s = synth();
    if (!s) { say(TEXT.noSpeech); return; }
    var mine = generation;
    withVoice(function (voice) {
      if (mine !== generation) { return; }
      if (!voice) { say(TEXT.noVoice); return; }
      say('');
      var queue = [];
      items.forEach(function (item) {
        var parts = chunks(speakable(item.text));
        parts.forEach(function (part, i) {
          queue.push({ text: part, button: item.button, last: i === parts.length - 1 });
        });
      });
      queue.forEach(function (q) {
        var u = new window.SpeechSynthesisUtterance(q.text);
        u.voice = voice;
        u.lang = voice.lang || 'zh-CN';
        u.rate = rate();
        u.onstart = function () {
          if (mine !== generation) { return; }
          if (speakingButton !== q.button) { showPlaying(speakingButton, false); }
          speakingButton = q.button;
          showPlaying(q.button, true);
        };
        u.onend = function () {
          if (mine !== generation || !q.last) { return; }
          showPlaying(q.button, false);
          if (speakingButton === q.button) { speakingButton = null; }
        };
        u.onerror = function (ev) {
          if (mine !== generation) { return; }
          if (!ev || (ev.error !== 'interrupted' && ev.error !== 'canceled')) { say(TEXT.failed); }
          showPlaying(q.button, false);
        };
        s.speak(u);
      });
    });
  }

  function autoOn() {
    return storageGet(KEY_AUTO) === '1' && document.documentElement.classList.contains('care');
  }

  window.PGCare = {
    // A 「▶ 朗读」 button on a bot message (CSS shows it in 关怀版 only).
    decorate: function (el, text) {
      var button = document.createElement('button');
      button.type = 'button';
      button.className = 'speak-button';
      button.setAttribute('data-testid', 'speak-button');
      showPlaying(button, false);
      button.addEventListener('click', function () {
        if (speakingButton === button) { stop(); return; }
        speak([{ text: text, button: button }]);
      });
      el.appendChild(button);
    },
    // New replies [{el, text}]: read aloud when 自动朗读 is on.
    autoRead: function (replies) {
      if (!replies.length || !autoOn()) { return; }
      speak(replies.map(function (r) {
        return { text: r.text, button: r.el ? r.el.querySelector('.speak-button') : null };
      }));
    },
    stop: stop,
    speakable: speakable
  };

  function init() {
    note = document.getElementById('voice-note');
    var auto = document.getElementById('auto-read');
    var rateSelect = document.getElementById('speech-rate');
    if (auto) {
      auto.setAttribute('aria-pressed', storageGet(KEY_AUTO) === '1' ? 'true' : 'false');
      auto.addEventListener('click', function () {
        var on = storageGet(KEY_AUTO) !== '1';
        storageSet(KEY_AUTO, on ? '1' : '0');
        auto.setAttribute('aria-pressed', on ? 'true' : 'false');
        if (!on) { stop(); return; }
        // Say at once if it cannot work here, not at the next reply.
        if (!synth()) { say(TEXT.noSpeech); return; }
        withVoice(function (voice) { say(voice ? '' : TEXT.noVoice); });
      });
    }
    if (rateSelect) {
      rateSelect.value = String(rate());
      rateSelect.addEventListener('change', function () {
        storageSet(KEY_RATE, rateSelect.value);
      });
    }
    window.addEventListener('storage', function (ev) {
      if (ev.key === KEY_AUTO && auto) { auto.setAttribute('aria-pressed', ev.newValue === '1' ? 'true' : 'false'); }
      if (ev.key === KEY_RATE && rateSelect) { rateSelect.value = String(rate()); }
    });
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
}());
