// Console helpers (no inline scripts: the CSP forbids them).
// A live character count for fields with data-max and data-counter.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("textarea[data-max][data-counter]").forEach(function (field) {
    var counter = document.getElementById(field.getAttribute("data-counter"));
    var max = parseInt(field.getAttribute("data-max"), 10);
    function update() {
      var n = Array.from(field.value.trim()).length;
      counter.textContent = n + " / " + max + " 字" + (n > max ? "（超出 " + (n - max) + " 字，一条微信回复放不下）" : "");
      counter.classList.toggle("over", n > max);
    }
    field.addEventListener("input", update);
    update();
  });
});

// The live desk (handoff page): a quick reply fills the reply box, to be edited before
// sending; the transcript of an open conversation refreshes every 4 seconds.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("select[data-quick-reply]").forEach(function (select) {
    var box = document.getElementById(select.getAttribute("data-quick-reply"));
    select.addEventListener("change", function () {
      if (!select.value || !box) { return; }
      box.value = select.value;
      box.focus();
      select.value = "";
    });
  });
  var list = document.querySelector("ol[data-live-src]");
  if (!list) { return; }
  var src = list.getAttribute("data-live-src");
  var shown = list.innerHTML.trim();
  function refresh() {
    fetch(src, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null || html.trim() === shown) { return; }
        var atEnd = list.scrollTop + list.clientHeight >= list.scrollHeight - 40;
        list.innerHTML = html;
        shown = html.trim();
        if (atEnd) { list.scrollTop = list.scrollHeight; }
      })
      .catch(function () { /* offline for a moment: the next round tries again */ });
  }
  setInterval(refresh, 4000);
});
