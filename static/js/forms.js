// Forms, progressively enhanced (each works without scripts too; the server validates everything again).
//
// A form that comes back with errors shows their summary at the top (templates/partials/error_summary.html):
// focus moves there, so a screen reader reads it and a keyboard starts from it; a link in it focuses its field.
document.addEventListener("DOMContentLoaded", () => {
  const summary = document.querySelector("[data-error-summary]");
  if (!summary) return;
  const focus = () => summary.focus();
  focus();
  // A page reached through a fragment (the bid form posts to "…#bid") is scrolled to it after this runs, and the
  // browser then drops the focus: give it back once loaded.
  if (window.location.hash) window.addEventListener("load", () => requestAnimationFrame(focus), { once: true });
  summary.addEventListener("click", (event) => {
    const link = event.target.closest("a[href^='#']");
    const field = link && document.getElementById(link.getAttribute("href").slice(1));
    if (!field) return;
    event.preventDefault();
    const label = document.querySelector(`label[for="${field.id}"]`) || field;
    label.scrollIntoView({ block: "center" });
    field.focus({ preventScroll: true });
  });
});

// Fields that matter only for one choice: <div data-show-when="ID"> is shown while the checkbox ID is ticked.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-show-when]").forEach((group) => {
    const box = document.getElementById(group.dataset.showWhen);
    if (!box) return;
    const update = () => {
      group.hidden = !box.checked;
    };
    box.addEventListener("change", update);
    update();
  });
});
