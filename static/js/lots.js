// Lot form: say the signed reserve price in words while it is typed. The server says the same on reload.
document.addEventListener("DOMContentLoaded", () => {
  const input = document.querySelector("[data-price-input]");
  const unit = document.querySelector("[data-unit-input]");
  const words = document.querySelector("[data-price-words]");
  if (!input || !words) return;
  const rupiah = (n) => "Rp " + Math.abs(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ".");
  const render = () => {
    const raw = input.value.trim();
    const per = unit && unit.value ? " / " + unit.options[unit.selectedIndex].text : "";
    if (raw === "" || isNaN(Number(raw))) {
      words.textContent = words.dataset.none;
      return;
    }
    const amount = Math.trunc(Number(raw));
    let sentence = words.dataset.free;
    if (amount > 0) sentence = words.dataset.processorPays;
    if (amount < 0) sentence = words.dataset.plantPays;
    words.textContent = sentence.replace("{amount}", rupiah(amount)).replace("{per}", per);
  };
  input.addEventListener("input", render);
  if (unit) unit.addEventListener("change", render);
  render();
});

// Countdowns: elements with data-countdown="<ISO time>" show the time left, updated every second.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-countdown]").forEach((element) => {
    const end = Date.parse(element.dataset.countdown);
    const labels = element.dataset;
    const tick = () => {
      let left = Math.max(0, Math.floor((end - Date.now()) / 1000));
      if (left === 0) {
        element.textContent = labels.closed;
        return;
      }
      const d = Math.floor(left / 86400);
      left %= 86400;
      const h = Math.floor(left / 3600);
      left %= 3600;
      const m = Math.floor(left / 60);
      const s = left % 60;
      element.textContent = (d ? d + " " + (d === 1 ? labels.day : labels.days) + " " : "") + [h, m, s].map((v) => String(v).padStart(2, "0")).join(":");
      setTimeout(tick, 1000);
    };
    tick();
  });
});

// Browse filters start folded on a phone (they are open without JavaScript, so nothing is ever hidden).
document.addEventListener("DOMContentLoaded", () => {
  if (window.matchMedia("(max-width: 991px)").matches) {
    document.querySelectorAll("details[data-collapse-on-phone]").forEach((details) => details.removeAttribute("open"));
  }
});
