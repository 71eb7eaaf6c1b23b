// Journey management: the home page's landscape (status, tags, filters) and presentation mode,
// for the team and through a share link, each passing axe-core.
import AxeBuilder from "@axe-core/playwright";
import type { Locator, Page } from "@playwright/test";
import { createMap, expect, hydrated, shareAndFormLinks, test } from "./helpers";

async function accessible(page: Page, what: string) {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  const bad = results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.length}× e.g. ${v.nodes[0]?.target.join(" ")} — ${v.nodes[0]?.failureSummary}`);
  expect(bad, `axe-core on ${what}`).toEqual([]);
}

/** Opens a row's "Status & tags" menu, sets them, and saves. */
async function catalog(row: Locator, status: string, tags: string) {
  const menu = row.locator("details.catalog-menu");
  if (!(await menu.evaluate((d) => (d as HTMLDetailsElement).open))) await menu.locator("summary").click();
  await menu.getByRole("combobox", { name: "Status", exact: true }).selectOption({ label: status });
  await menu.getByLabel(/^Tags/).fill(tags);
  await menu.getByRole("button", { name: "Save" }).click();
}

test("the landscape catalogues, filters and sorts maps; a map is presented slide by slide", async ({ page }) => {
  const stamp = Date.now().toString(36);
  await createMap(page, "Customer journey", `Land A ${stamp}`);
  const mapUrl = page.url();
  await createMap(page, "Blank map", `Land B ${stamp}`);
  await page.goto("/");
  await hydrated(page);
  const rowA = page.locator(".map-row").filter({ hasText: `Land A ${stamp}` });
  const rowB = page.locator(".map-row").filter({ hasText: `Land B ${stamp}` });
  await expect(rowA.locator(".status-badge")).toHaveText("Draft");

  await catalog(rowA, "Validated", "retention, B2B");
  await expect(rowA.locator(".status-badge")).toHaveText("Validated");
  await expect(rowA.locator(".tag")).toHaveText(["B2B", "retention"]);
  await catalog(rowB, "Archived", "");
  // Archived maps leave the current landscape, and show when asked for.
  await page.getByRole("search").getByRole("searchbox", { name: "Search" }).fill(stamp);
  await expect(page.locator(".map-row")).toHaveCount(1);
  await expect(rowB).toHaveCount(0);
  await page.getByRole("search").getByRole("combobox", { name: "Status", exact: true }).selectOption({ label: "Archived" });
  await expect(page.locator(".map-row")).toHaveCount(1);
  await expect(rowB).toHaveCount(1);
  await page.getByRole("search").getByRole("combobox", { name: "Status", exact: true }).selectOption({ label: "Current (not archived)" });
  await page.getByRole("search").getByRole("combobox", { name: "Tag", exact: true }).selectOption("B2B");
  await expect(page.locator(".map-row")).toHaveCount(1);
  await expect(rowA).toHaveCount(1);
  await page.getByRole("search").getByLabel("Measured pain").check();
  await expect(page.getByText("No maps match these filters.")).toBeVisible();
  await page.getByRole("search").getByLabel("Measured pain").uncheck();
  await expect(rowA).toHaveCount(1);
  await accessible(page, "the landscape");

  // Presentation: a title slide, then a slide per stage, moved by the keyboard.
  await page.goto(`${mapUrl}/present`);
  const where = page.locator("[data-where]");
  await expect(where).toHaveText(`Slide 1 of 6: Land A ${stamp}`);
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  await page.keyboard.press("ArrowRight");
  await expect(where).toHaveText("Slide 2 of 6: Awareness");
  await expect(page.getByRole("heading", { level: 1 })).toBeHidden();
  await expect(page.getByRole("heading", { name: "Awareness" })).toBeVisible();
  await page.keyboard.press("End");
  await expect(where).toHaveText("Slide 6 of 6: Advocacy");
  await page.keyboard.press("ArrowRight");
  await expect(where).toHaveText("Slide 6 of 6: Advocacy");
  await page.keyboard.press("Home");
  await expect(where).toHaveText(`Slide 1 of 6: Land A ${stamp}`);
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page).toHaveURL(/#2$/);
  await page.reload();
  await expect(where).toHaveText("Slide 2 of 6: Awareness");
  await accessible(page, "a presentation");
  await page.getByRole("link", { name: "Leave" }).click();
  await expect(page).toHaveURL(mapUrl);
});

test("a share link presents the map too, with only what the link shows", async ({ browser, page }) => {
  await createMap(page, "Customer journey", "Presented by link");
  const { share } = await shareAndFormLinks(page, "Checkout");
  const reader = await (await browser.newContext({ storageState: { cookies: [], origins: [] } })).newPage();
  await reader.goto(share);
  await reader.getByRole("link", { name: "Present" }).click();
  await expect(reader).toHaveURL(`${share}/present#1`);
  const where = reader.locator("[data-where]");
  await expect(where).toHaveText("Slide 1 of 6: Presented by link");
  await reader.keyboard.press("PageDown");
  await reader.keyboard.press("PageDown");
  await expect(where).toHaveText("Slide 3 of 6: Consideration");
  // No app is loaded, and nothing offers to edit.
  await expect(reader.locator("script[src*='present.js']")).toHaveCount(1);
  await expect(reader.getByRole("button", { name: /Rename|Delete|Add/ })).toHaveCount(0);
  await accessible(reader, "a presentation through a share link");
  await reader.context().close();
});
