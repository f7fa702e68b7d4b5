// Progressive enhancement only: every page works without it.
// After a failed submit, move focus to the error summary so it is read out and the links to the
// wrong fields are one Tab away; a summary link focuses its field (not just scrolls to it).
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      if (!link) return;
      var field = document.getElementById(link.getAttribute("href").slice(1));
      if (!field) return;
      event.preventDefault();
      var label = document.querySelector("label[for='" + field.id + "']");
      (label || field).scrollIntoView();
      field.focus();
    });
  }
});
