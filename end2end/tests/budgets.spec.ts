// Each page's bytes on the wire on a first visit (empty cache, brotli accepted), as the release
// build serves them, against its budget: the feedback form and its thanks page 30 KB, a share
// link and an embed 150 KB, the map editor 400 KB.
//
// The tests' server is a debug build, whose pages are the release build's in all but a few
// hydration markers, but whose bundle is not: every site file a page loads (under /v/…) is
// counted at the size of its brotli copy in the release site (WAYMARK_RELEASE_SITE_DIR, built by .ci/test with
// `--release --precompress --split`); everything else (the page, its follow-up requests) as it
// crossed the wire. The split bundle's shared chunks are numbered differently in each build, so
// a page's chunks are those the release site's manifest lists for the split modules it loaded.
// Sizes only, never times.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "@playwright/test";
import { ADMIN } from "../playwright.config";
import { createMap, expect, hydrated, saved, shareAndFormLinks, test } from "./helpers";

const KB = 1024;
const RELEASE_SITE = process.env.WAYMARK_RELEASE_SITE_DIR;

/** The bytes the release build sends for the site file at `path` (below /v/{fingerprint}/). */
function releaseBytes(path: string): number {
  const file = join(RELEASE_SITE!, path);
  for (const copy of [`${file}.br`, file]) {
    if (existsSync(copy)) return statSync(copy).size;
  }
  throw new Error(`the release site has no ${path}`);
}

/** The release build's split modules, each with the shared chunks it needs. */
function splitManifest(): Record<string, string[]> {
  return JSON.parse(readFileSync(join(RELEASE_SITE!, "pkg/__wasm_split_manifest.json"), "utf8"));
}

/**
 * The release bytes of the site files of one page, given the paths it loaded: its split
 * modules bring their release chunks, each counted once; the debug build's chunks are not
 * counted themselves.
 */
function siteBytes(paths: string[]): number {
  const manifest = splitManifest();
  const files = new Set<string>();
  for (const path of paths) {
    if (/^pkg\/chunk_\d+\.wasm$/.test(path)) continue;
    files.add(path);
    const split = /^pkg\/split_(.+)\.wasm$/.exec(path);
    if (split) {
      const chunks = manifest[split[1]];
      if (!chunks) throw new Error(`the release site has no split module ${split[1]}`);
      for (const chunk of chunks) files.add(`pkg/${chunk}.wasm`);
    }
  }
  return [...files].reduce((sum, file) => sum + releaseBytes(file), 0);
}

/** Bytes transferred to show `url` until it is interactive (see above). */
async function firstVisit(browser: Browser, url: string, signedIn: boolean): Promise<number> {
  const context = await browser.newContext(
    signedIn ? {} : { storageState: { cookies: [], origins: [] } },
  );
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
  let bytes = 0;
  const site: string[] = [];
  const urls = new Map<string, string>();
  cdp.on("Network.requestWillBeSent", (e) => urls.set(e.requestId, e.request.url));
  cdp.on("Network.loadingFinished", (e) => {
    const path = new URL(urls.get(e.requestId) ?? "http://x/").pathname;
    const asset = /^\/v\/[^/]+\/(.+)$/.exec(path);
    if (asset) site.push(asset[1]);
    else bytes += e.encodedDataLength;
  });
  await page.goto(url, { waitUntil: "load" });
  await page.waitForFunction(
    () =>
      document.documentElement.classList.contains("hydrated") ||
      document.querySelector("[data-follow-status]:not([hidden])") ||
      !document.querySelector("script[type=module]"),
  );
  // Whatever the page fetches once it runs (the follow script's first refresh, icons).
  await page.waitForTimeout(1000);
  await context.close();
  return bytes + siteBytes(site);
}

test("every page stays within its budget of bytes", async ({ browser, page }) => {
  test.skip(!RELEASE_SITE, "needs WAYMARK_RELEASE_SITE_DIR (a release build; .ci/test sets it)");
  test.setTimeout(120_000);
  await createMap(page, "Customer journey", "Within budget");
  const editor = page.url();
  const { share, form } = await shareAndFormLinks(page, "Instagram post");
  // The thanks page, as a customer reaches it.
  const customer = await browser.newContext({ storageState: { cookies: [], origins: [] } });
  const answering = await customer.newPage();
  await answering.goto(form);
  await answering.getByRole("group", { name: /recommend/ }).getByLabel("8", { exact: true }).check();
  await answering.getByRole("button", { name: "Send feedback" }).click();
  await expect(answering).toHaveURL(/\/thanks$/);
  const thanks = answering.url();
  await customer.close();

  const pages = [
    { name: "feedback form", url: form, budget: 30 * KB, signedIn: false },
    { name: "thanks page", url: thanks, budget: 30 * KB, signedIn: false },
    { name: "share link", url: share, budget: 150 * KB, signedIn: false },
    { name: "embed", url: share.replace("/s/", "/embed/"), budget: 150 * KB, signedIn: false },
    { name: "map editor", url: editor, budget: 400 * KB, signedIn: true },
  ];
  const over: string[] = [];
  for (const { name, url, budget, signedIn } of pages) {
    const bytes = await firstVisit(browser, url, signedIn);
    const line = `${name}: ${(bytes / KB).toFixed(1)} KB of ${budget / KB} KB`;
    console.log(line);
    if (bytes > budget) over.push(line);
  }
  expect(over, "pages over their budget").toEqual([]);
});

// The rest of the suite runs the debug build, so a release-only hydration failure would pass
// unnoticed. A release bundle hydrates only against a release server (a debug server's
// hydration markers differ), so this runs the pair the release build ships.
test("the release bundle hydrates against the release server", async ({ browser }) => {
  const bin = process.env.WAYMARK_RELEASE_BIN;
  test.skip(!RELEASE_SITE || !bin, "needs WAYMARK_RELEASE_SITE_DIR and WAYMARK_RELEASE_BIN (.ci/test sets them)");
  const dataDir = mkdtempSync(join(tmpdir(), "waymark-release-"));
  const addr = `127.0.0.1:${Number(process.env.WAYMARK_TEST_PORT ?? 3917) + 3}`;
  const server = spawn(bin!, ["serve"], {
    env: { ...process.env, WAYMARK_ADDR: addr, WAYMARK_DATA_DIR: dataDir, WAYMARK_SITE_DIR: RELEASE_SITE, WAYMARK_LOG: "warn" },
    stdio: "inherit",
  });
  try {
    await expect
      .poll(async () => (await fetch(`http://${addr}/healthz`).catch(() => null))?.status, { timeout: 30_000 })
      .toBe(200);
    const context = await browser.newContext({ storageState: { cookies: [], origins: [] } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    const base = `http://${addr}`;
    await page.goto(`${base}/no-such-page`);
    await hydrated(page);
    // A fresh instance shows its set-up page (a lazily loaded route, as most pages are); then
    // the editor (its own split module) and the panels it loads on demand.
    await page.goto(`${base}/setup`);
    await hydrated(page);
    await page.getByLabel("Your name").fill(ADMIN.name);
    await page.getByLabel("Email").fill(ADMIN.email);
    await page.getByLabel(/^Password/).fill(ADMIN.password);
    await page.getByRole("button", { name: "Create account" }).click();
    await expect(page).toHaveURL(`${base}/`);
    await hydrated(page);
    await page.getByRole("radio", { name: /^Customer journey/ }).check();
    await page.getByLabel("Title (optional)").fill("Released");
    await page.getByRole("button", { name: "Create map" }).click();
    await expect(page).toHaveURL(/\/maps\/[0-9a-f-]{36}$/);
    await page.reload();
    await hydrated(page);
    await saved(page);
    const panels = page.getByRole("group", { name: "Panels" });
    await panels.getByRole("button", { name: "History" }).click();
    await expect(page.getByRole("heading", { name: "History", level: 2 })).toBeVisible();
    await panels.getByRole("button", { name: "Feedback" }).click();
    await expect(page.getByRole("heading", { name: "Customer feedback", level: 2 })).toBeVisible();
    // The 404 page's own answer is the one console error expected.
    expect(errors.filter((e) => !e.includes("404"))).toEqual([]);
    await context.close();
  } finally {
    server.kill();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
