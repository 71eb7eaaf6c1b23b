// Presentation mode (app/src/ui/pages/present.rs): one slide at a time, driven by the keyboard.
//
// The page is server-rendered and complete without this script (every slide, one after the
// other). With it, one slide shows at a time: the arrow keys, Page Up/Down, space and
// Home/End move; F toggles full screen; the address's #n names the slide, so a reload or a
// shared address opens at it.
(() => {
  const deck = document.querySelector("[data-present]");
  if (!deck) return;
  const slides = [...deck.querySelectorAll(".slide")];
  if (slides.length === 0) return;
  const where = deck.querySelector("[data-where]");
  let at = 0;

  const show = (index, focus) => {
    at = Math.max(0, Math.min(slides.length - 1, index));
    slides.forEach((slide, i) => {
      slide.hidden = i !== at;
    });
    const heading = slides[at].querySelector("h1, h2");
    if (where) where.textContent = `Slide ${at + 1} of ${slides.length}${heading ? `: ${heading.textContent}` : ""}`;
    history.replaceState(null, "", `#${at + 1}`);
    if (focus) slides[at].focus();
  };

  const fullscreen = () => {
    if (document.fullscreenElement) document.exitFullscreen();
    else document.documentElement.requestFullscreen?.().catch(() => {});
  };

  deck.classList.add("stepping");
  slides.forEach((slide) => slide.setAttribute("tabindex", "-1"));
  deck.querySelector("[data-prev]")?.addEventListener("click", () => show(at - 1, false));
  deck.querySelector("[data-next]")?.addEventListener("click", () => show(at + 1, false));
  deck.querySelector("[data-fullscreen]")?.addEventListener("click", fullscreen);
  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.target.closest?.("input, select, textarea")) return;
    const moves = {
      ArrowRight: at + 1,
      ArrowDown: at + 1,
      PageDown: at + 1,
      " ": event.shiftKey ? at - 1 : at + 1,
      ArrowLeft: at - 1,
      ArrowUp: at - 1,
      PageUp: at - 1,
      Home: 0,
      End: slides.length - 1,
    };
    if (event.key in moves) {
      event.preventDefault();
      show(moves[event.key], true);
    } else if (event.key === "f" || event.key === "F") {
      event.preventDefault();
      fullscreen();
    }
  });
  const start = Number(location.hash.slice(1)) - 1;
  show(Number.isInteger(start) ? start : 0, false);
})();
