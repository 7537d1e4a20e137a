// Read a number the way core/numbers.py parse() does: "1.250,5" and "1250.5" alike; NaN when it fits no
// reading (or is empty). `group`: the page language's thousands separator.
function parseNumber(text, group) {
  let raw = text.replace(/[\s\u00a0\u202f\u2009']/g, "").replace(/^([+-]?)rp\.?/i, "$1");
  if (!/^[+-]?[0-9.,]+$/.test(raw) || !/\d/.test(raw)) return NaN;
  const sign = raw[0] === "-" ? -1 : 1;
  if (raw[0] === "-" || raw[0] === "+") raw = raw.slice(1);
  const grouped = (s, sep) => new RegExp("^(0|[1-9][0-9]{0,2})(\\" + sep + "[0-9]{3})*$").test(s);
  const points = raw.split(".").length - 1;
  const commas = raw.split(",").length - 1;
  let whole = raw;
  let fraction = "";
  if (points && commas) {
    const dec = raw.lastIndexOf(".") > raw.lastIndexOf(",") ? "." : ",";
    const grp = dec === "." ? "," : ".";
    const parts = raw.split(dec);
    if (parts.length !== 2 || !grouped(parts[0], grp)) return NaN;
    whole = parts[0].split(grp).join("");
    fraction = parts[1];
  } else if (points || commas) {
    const sep = points ? "." : ",";
    const parts = raw.split(sep);
    if (parts.length > 2) {
      if (!grouped(raw, sep)) return NaN;
      whole = parts.join("");
    } else {
      const [head, tail] = parts;
      if (!head || !tail) return NaN;
      if (sep === group && tail.length === 3 && head.length <= 3 && head[0] !== "0") whole = head + tail;
      else [whole, fraction] = [head, tail];
    }
  }
  if (!/^\d+$/.test(whole) || (fraction && !/^\d+$/.test(fraction))) return NaN;
  return sign * Number(whole + (fraction ? "." + fraction : ""));
}

// Lot form: say the signed reserve price in words while it is typed. The server says the same on reload.
document.addEventListener("DOMContentLoaded", () => {
  const input = document.querySelector("[data-price-input]");
  const unit = document.querySelector("[data-unit-input]");
  const words = document.querySelector("[data-price-words]");
  if (!input || !words) return;
  const group = (document.documentElement.lang || "id").startsWith("id") ? "." : ",";
  const rupiah = (n) => "Rp\u00a0" + Math.abs(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, group);
  const render = () => {
    const number = parseNumber(input.value, group);
    const per = unit && unit.value ? "\u00a0/\u00a0" + unit.options[unit.selectedIndex].text : "";
    if (Number.isNaN(number)) {
      words.textContent = words.dataset.none;
      return;
    }
    const amount = Math.trunc(number);
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

// Browse filters are folded in the markup (a phone shows them folded from the first paint; a wide screen shows
// them open through CSS). A browser without ::details-content support gets them opened here on a wide screen.
document.addEventListener("DOMContentLoaded", () => {
  if (window.matchMedia("(min-width: 992px)").matches && !CSS.supports("selector(::details-content)")) {
    document.querySelectorAll("details[data-open-on-desktop]").forEach((details) => details.setAttribute("open", ""));
  }
});
