// What each kind of page costs a first-time visitor on a phone, for `cargo bench -p server
// --bench pages`: for every page given, in headless Chromium with an empty cache, 4× CPU
// slowdown, 1.6 Mbit/s and 150 ms round trips, prints one JSON line with the requests made,
// the bytes transferred, the sum of every response's bytes raw, gzip and brotli (each fetched
// again with only that encoding accepted), first contentful paint and the time to interactive
// (the app marks <html> `hydrated`; a share link's follow script shows its status; a page with
// no script is interactive once loaded).
// Usage: node bench/pages.mjs <base url> <cookie name=value> <label>=<path> ...
import { request as httpRequest } from "node:http";
import { chromium } from "playwright-core";

const [base, cookie, ...pages] = process.argv.slice(2);
const [cookieName, ...cookieRest] = cookie.split("=");

/** Bytes of `url`'s body as sent with only `encoding` accepted. */
function bodyBytes(url, encoding, cookieHeader) {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers: { "accept-encoding": encoding, cookie: cookieHeader } }, (res) => {
      let n = 0;
      res.on("data", (chunk) => (n += chunk.length));
      res.on("end", () => resolve(n));
    });
    req.on("error", reject);
    req.end();
  });
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu"],
});
for (const spec of pages) {
  const at = spec.indexOf("=");
  const label = spec.slice(0, at);
  const url = new URL(spec.slice(at + 1), base).href;
  const context = await browser.newContext({ viewport: { width: 412, height: 823 }, isMobile: true });
  if (!label.startsWith("anonymous")) {
    await context.addCookies([{ name: cookieName, value: cookieRest.join("="), url: base }]);
  }
  const page = await context.newPage();
  // Shown only if the page never becomes interactive (the bench prints stderr on failure).
  page.on("console", (m) => m.type() === "error" && console.error(`${label}: ${m.text()}`));
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false,
    latency: 150,
    downloadThroughput: (1.6e6 / 8) | 0,
    uploadThroughput: (750e3 / 8) | 0,
  });
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: 4 });
  let transfer = 0;
  const urls = new Set();
  cdp.on("Network.loadingFinished", (e) => (transfer += e.encodedDataLength));
  cdp.on("Network.requestWillBeSent", (e) => {
    if (e.request.url.startsWith(base)) urls.add(e.request.url);
  });
  await page.goto(url, { waitUntil: "load", timeout: 120_000 });
  await page.waitForFunction(
    () =>
      document.documentElement.classList.contains("hydrated") ||
      document.querySelector("[data-follow-status]:not([hidden])") ||
      !document.querySelector("script[type=module]"),
    null,
    { timeout: 120_000, polling: 20 },
  );
  const [fcp, interactive] = await page.evaluate(() => [
    performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? NaN,
    performance.now(),
  ]);
  // Let late requests (the follow script's refresh, icons) finish before counting.
  await page.waitForTimeout(500);
  const cookieHeader = label.startsWith("anonymous") ? "" : cookie;
  const sizes = { raw: 0, gzip: 0, br: 0 };
  for (const u of urls) {
    if (u.includes("/ws/")) continue;
    sizes.raw += await bodyBytes(u, "identity", cookieHeader);
    sizes.gzip += await bodyBytes(u, "gzip", cookieHeader);
    sizes.br += await bodyBytes(u, "br", cookieHeader);
  }
  console.log(JSON.stringify({ label, requests: urls.size, transfer, ...sizes, fcp, interactive }));
  await context.close();
}
await browser.close();
