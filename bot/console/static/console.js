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
