// Light pages: a customer's form and a reader's share link or embed load no part of the app,
// stay live where they should, offer nothing to edit, and every page passes axe-core.
import AxeBuilder from "@axe-core/playwright";
import type { Browser, Page } from "@playwright/test";
import { createMap, expect, hydrated, shareAndFormLinks as links, test } from "./helpers";

/** Fails with the list of serious and critical axe-core violations on `page`, if any. */
async function accessible(page: Page, what: string) {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  const bad = results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.length}× e.g. ${v.nodes[0]?.target.join(" ")} — ${v.nodes[0]?.failureSummary}`);
  // Soft: one run lists the violations of every page.
  expect.soft(bad, `axe-core on ${what}`).toEqual([]);
}

/** Every request `page` makes while `run` runs, by URL. */
async function requests(page: Page, run: () => Promise<void>): Promise<string[]> {
  const urls: string[] = [];
  const listen = (request: { url(): string }) => urls.push(request.url());
  page.on("request", listen);
  await run();
  page.off("request", listen);
  return urls;
}

async function signedOut(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ storageState: { cookies: [], origins: [] } });
  return context.newPage();
}

test("a share link follows the team live without the app, and offers nothing to edit", async ({ browser, page }) => {
  await createMap(page, "Customer journey", "Followed live");
  const { share } = await links(page, "Instagram post");

  const reader = await signedOut(browser);
  const urls = await requests(reader, async () => {
    await reader.goto(share);
    await expect(reader.getByText("updates live as the team edits")).toBeVisible();
  });
  expect(urls.filter((u) => u.endsWith(".wasm") || u.includes("/pkg/waymark.js")), "no app bundle").toEqual([]);
  // Nothing to press or type into: Tab then Enter on a stage name does nothing.
  await expect(reader.locator("button, select, textarea, input, [draggable]")).toHaveCount(0);
  await reader.locator(".stage-name", { hasText: "Awareness" }).click();
  await reader.keyboard.press("Tab");
  await reader.keyboard.press("Enter");
  await expect(reader.getByRole("textbox")).toHaveCount(0);

  // The team's edits arrive, and the reader keeps their place in a scrolled map.
  await reader.setViewportSize({ width: 600, height: 700 });
  await reader.locator(".grid-scroll").evaluate((el) => (el.scrollLeft = 300));
  await page.getByRole("button", { name: "Awareness", exact: true }).click();
  await page.getByRole("textbox", { name: "Stage name" }).fill("Discovery");
  await page.getByRole("textbox", { name: "Stage name" }).press("Enter");
  await expect(reader.locator(".stage-name", { hasText: "Discovery" })).toBeVisible();
  expect(await reader.locator(".grid-scroll").evaluate((el) => el.scrollLeft)).toBe(300);
  await expect(reader.getByText("updates live as the team edits")).toBeVisible();
  await reader.context().close();

  // Without JavaScript: the map, and no claim to be live.
  const plain = await browser.newContext({ javaScriptEnabled: false, storageState: { cookies: [], origins: [] } });
  const still = await plain.newPage();
  await still.goto(share);
  await expect(still.locator(".stage-name", { hasText: "Discovery" })).toBeVisible();
  await expect(still.getByText("Read-only view")).toBeVisible();
  await expect(still.getByText(/updates live|Connecting|reconnecting/)).toHaveCount(0);
  await plain.close();
});

test("the app's router hands a page it does not carry to the server", async ({ page }) => {
  await createMap(page, "Customer journey", "Left for a share link");
  const { share } = await links(page, "Instagram post");
  // A link inside the app, followed by its router: the bundle has no share page, so the
  // server's page loads in its place, with the follow script and not the app.
  await page.evaluate((href) => {
    const a = document.createElement("a");
    a.href = href;
    a.textContent = "the share link";
    document.body.prepend(a);
  }, new URL(share).pathname);
  await page.getByRole("link", { name: "the share link" }).click();
  await expect(page.getByText("updates live as the team edits")).toBeVisible();
  await expect(page.locator("html.hydrated")).toHaveCount(0);
  // And Back returns to the editor.
  await page.goBack();
  await expect(page.getByRole("heading", { name: "Left for a share link" })).toBeVisible();
});

test("every page passes axe-core, and the customer's form loads no script at all", async ({ browser, page }) => {
  // axe-core walks every element of seven pages, the home page listing every map the suite
  // made by then: two minutes were not always enough beside the other worker's tests.
  test.setTimeout(300_000);
  await createMap(page, "Customer journey", "Accessible pages");
  const mapUrl = page.url();
  const { share, form } = await links(page, "Instagram post");

  for (const path of ["/", mapUrl, "/account", "/admin", "/not-a-page"]) {
    await page.goto(path);
    if (path !== "/not-a-page") await hydrated(page);
    await accessible(page, path);
  }
  // The editor with each of its panels open, and a touchpoint's feedback.
  await page.goto(mapUrl);
  await hydrated(page);
  const panels = page.getByRole("group", { name: "Panels" });
  for (const name of ["Comments", "Feedback", "Journey", "History", "Share", "Personas"]) {
    await panels.getByRole("button", { name, exact: false }).first().click();
    await page.waitForTimeout(300);
    await accessible(page, `the map with its ${name} panel`);
  }
  await page.locator(".card", { hasText: "Instagram post" }).getByRole("button", { name: "Feedback on this touchpoint" }).click();
  await expect(page.locator(".touchpoint-feedback")).toBeVisible();
  await accessible(page, "a touchpoint's feedback panel");

  const visitor = await signedOut(browser);
  for (const path of ["/login", share, share.replace("/s/", "/embed/")]) {
    await visitor.goto(path);
    await accessible(visitor, path);
  }
  const urls = await requests(visitor, async () => {
    await visitor.goto(form);
    await accessible(visitor, "the public form");
    await visitor.getByRole("group", { name: /recommend/ }).getByLabel("9", { exact: true }).check();
    await visitor.getByRole("button", { name: "Send feedback" }).click();
    await expect(visitor.getByRole("heading", { name: "Thank you!" })).toBeVisible();
    await accessible(visitor, "the thanks page");
  });
  expect(urls.filter((u) => u.endsWith(".js") || u.endsWith(".wasm")), "scripts on the form").toEqual([]);
  await visitor.context().close();
});
