// The voucher form reads an invoice's QR code (or OFD data) on the server as soon as one
// invoice file is chosen, and fills in its facts for the clerk to confirm or correct.
// Nothing is stored until the form is sent. A file, not inline script (the CSP).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form.voucher-form").forEach(function (form) {
    var kind = form.querySelector("[name=kind]");
    var file = form.querySelector("[name=file]");
    var status = form.querySelector(".invoice-status");
    var fields = form.querySelectorAll(".invoice-field");
    var token = form.querySelector("[name=csrfmiddlewaretoken]").value;

    function showFields() {
      fields.forEach(function (field) { field.hidden = kind.value !== "invoice"; });
    }
    function set(name, value) {
      var input = form.querySelector("[name=" + name + "]");
      if (input) { input.value = value || ""; }
    }
    kind.addEventListener("change", showFields);
    showFields();
    file.addEventListener("change", function () {
      if (kind.value !== "invoice" || file.files.length !== 1) { return; }
      var body = new FormData();
      body.append("file", file.files[0]);
      status.textContent = form.dataset.reading || "…";
      fetch(form.dataset.invoiceRead, {
        method: "POST", body: body, credentials: "same-origin",
        headers: {"X-CSRFToken": token}
      }).then(function (response) {
        return response.json();
      }).then(function (facts) {
        if (facts.error) { status.textContent = facts.error; return; }
        set("invoice_number", facts.number);
        set("invoice_code", facts.code);
        set("invoice_date", facts.date);
        set("invoice_amount", facts.amount);
        if (facts.seller) { set("invoice_seller", facts.seller); }
        status.textContent = form.dataset.read + " " + facts.type +
          (facts.duplicate ? " — " + form.dataset.duplicate +
            (facts.used_on ? " No. " + facts.used_on : "") : "");
      }).catch(function () { status.textContent = form.dataset.failed; });
    });
  });
});
