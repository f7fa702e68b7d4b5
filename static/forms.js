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
  // Markdown preview: fill the preview region from the server's rendering (no HTML typed by hand).
  document.querySelectorAll("[data-preview-for]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var source = document.getElementById(button.getAttribute("data-preview-for"));
      var target = document.getElementById(button.getAttribute("data-preview-target"));
      var form = button.form;
      var body = new URLSearchParams();
      body.set("_xsrf", form.querySelector("input[name=_xsrf]").value);
      body.set("text", source.value);
      fetch("/preview", {method: "POST", body: body, credentials: "same-origin"})
        .then(function (reply) { return reply.ok ? reply.text() : Promise.reject(reply.status); })
        .then(function (html) { target.innerHTML = html; target.hidden = false; })
        .catch(function () { target.textContent = button.getAttribute("data-preview-error"); target.hidden = false; });
    });
  });
});
