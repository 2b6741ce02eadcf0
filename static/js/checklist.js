// A filter box above a list of checkboxes: shows only the choices whose label holds
// what is typed. Checked boxes stay checked while hidden. A file, not inline script,
// so that the strict Content-Security-Policy holds.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll(".checklist").forEach(function (list) {
    var filter = list.querySelector(".checklist-filter");
    var choices = list.querySelectorAll(".checklist-box label");
    filter.addEventListener("input", function () {
      var wanted = filter.value.trim();
      choices.forEach(function (label) {
        label.parentElement.hidden = wanted !== "" && label.textContent.indexOf(wanted) === -1;
      });
    });
  });
});
