// The demo page's example questions: each asks the embedded widget (window.vnDocQA).
document.getElementById("origin").textContent = location.origin;
document.querySelectorAll(".examples button").forEach(function (b) {
  b.addEventListener("click", function () {
    if (window.vnDocQA) window.vnDocQA.ask(b.dataset.q);
  });
});
