// A button marked data-print prints the page (the gate list); without scripts the browser's own Print works.
document.querySelectorAll("[data-print]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});
