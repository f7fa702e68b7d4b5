{% autoescape None %}/* Petition sign widget: <div data-petition-widget="sign" data-petition="SLUG" data-key="KEY" lang="en"></div>
   Renders an accessible form in this page and submits it to POST /api/v1/petitions/SLUG/signatures;
   the petition's allowed domains apply, and the signer confirms by email as usual. */
(function () {
  "use strict";
  var TEXT = {{ texts }}, BASE = {{ base }}, counter = 0;
  function el(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    if (text) { node.textContent = text; }
    return node;
  }
  function field(form, id, name, label, type) {
    var wrap = el("div", {"class": "petition-widget-field"});
    var input = el("input", {id: id, name: name, type: type, required: "", autocomplete: name === "email" ? "email" : "name", maxlength: "255"});
    var error = el("p", {id: id + "-error", "class": "petition-widget-error", hidden: ""});
    wrap.appendChild(el("label", {"for": id}, label)); wrap.appendChild(input); wrap.appendChild(error);
    form.appendChild(wrap);
    return {input: input, error: error};
  }
  function checkbox(form, id, name, label) {
    var wrap = el("div", {"class": "petition-widget-field"}), input = el("input", {id: id, name: name, type: "checkbox"});
    var error = el("p", {id: id + "-error", "class": "petition-widget-error", hidden: ""});
    var text = el("label", {"for": id}, " " + label);
    wrap.appendChild(input); wrap.appendChild(text); wrap.appendChild(error); form.appendChild(wrap);
    return {input: input, error: error};
  }
  function render(host) {
    var slug = host.getAttribute("data-petition"), key = host.getAttribute("data-key"), n = ++counter;
    var form = el("form", {"class": "petition-widget-form", novalidate: ""});
    var fields = {
      full_name: field(form, "pw" + n + "-name", "full_name", TEXT.full_name, "text"),
      email: field(form, "pw" + n + "-email", "email", TEXT.email, "email"),
      show_name_public: checkbox(form, "pw" + n + "-show", "show_name_public", TEXT.show_name),
      accept_terms: checkbox(form, "pw" + n + "-terms", "accept_terms", TEXT.accept_terms)
    };
    var button = el("button", {type: "submit"}, TEXT.sign);
    var status = el("p", {"class": "petition-widget-status", role: "status", "aria-live": "polite"});
    form.appendChild(button); form.appendChild(status); host.appendChild(form);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      Object.keys(fields).forEach(function (name) {
        fields[name].error.hidden = true; fields[name].input.removeAttribute("aria-invalid");
        fields[name].input.removeAttribute("aria-describedby");
      });
      button.disabled = true; status.textContent = TEXT.sending;
      var body = {full_name: fields.full_name.input.value, email: fields.email.input.value,
                  show_name_public: fields.show_name_public.input.checked, accept_terms: fields.accept_terms.input.checked};
      fetch(BASE + "/api/v1/petitions/" + encodeURIComponent(slug) + "/signatures", {
        method: "POST", headers: {"Content-Type": "application/json", "Authorization": "Bearer " + key},
        body: JSON.stringify(body), credentials: "omit"
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) { return {ok: response.ok, data: data}; });
      }).then(function (result) {
        button.disabled = false;
        if (result.ok) { form.reset(); status.textContent = TEXT.thanks; return; }
        var first = null, problems = result.data.fields || {};
        Object.keys(problems).forEach(function (name) {
          var f = fields[name];
          if (!f) { return; }
          f.error.textContent = problems[name]; f.error.hidden = false;
          f.input.setAttribute("aria-invalid", "true"); f.input.setAttribute("aria-describedby", f.error.id);
          first = first || f.input;
        });
        status.textContent = TEXT.problem + " " + (result.data.message || "");
        if (first) { first.focus(); }
      }).catch(function () { button.disabled = false; status.textContent = TEXT.network; });
    });
  }
  function start() {
    var hosts = document.querySelectorAll('[data-petition-widget="sign"]:not([data-rendered])');
    Array.prototype.forEach.call(hosts, function (host) { host.setAttribute("data-rendered", ""); render(host); });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
