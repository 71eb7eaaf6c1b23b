// Journey management: the home page's landscape (status, tags, filters) and presentation mode,
// for the team and through a share link, each passing axe-core.
import AxeBuilder from "@axe-core/playwright";
import type { APIRequestContext, Locator, Page } from "@playwright/test";
import { collectFeedback, createMap, expect, hydrated, shareAndFormLinks, test } from "./helpers";

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

/**
 * A map from the customer journey template with answers sent through the API: the checkout
 * touchpoint scores badly (60 answers of 2) and the product page well (60 of 9), so the map's
 * NPS is 0. The answers carry `channel` when one is given. Returns the map's address.
 */
async function measuredMap(page: Page, request: APIRequestContext, title: string, channel?: string): Promise<string> {
  await createMap(page, "Customer journey", title);
  const mapUrl = page.url();
  const mapId = mapUrl.split("/").pop();
  const cardId = async (name: string) =>
    (await page.locator(".card", { hasText: name }).first().getAttribute("id"))!.replace("card-", "");
  const [checkout, product] = [await cardId("Checkout"), await cardId("Product page")];
  await collectFeedback(page, "Checkout");
  await page.keyboard.press("Escape");
  await collectFeedback(page, "Product page");
  await page.getByRole("button", { name: "Feedback", exact: true }).click();
  await page.getByRole("tab", { name: "API" }).click();
  await page.getByLabel("Key label").fill("Measured");
  await page.getByRole("button", { name: "Create key" }).click();
  const key = await page.getByLabel("New key (shown only now)").inputValue();
  const answers = [
    ...Array.from({ length: 60 }, () => ({ touchpoint: checkout, nps: 2, channel })),
    ...Array.from({ length: 60 }, () => ({ touchpoint: product, nps: 9, channel })),
  ];
  const sent = await request.post(`/api/v1/maps/${mapId}/responses`, {
    headers: { Authorization: `Bearer ${key}` },
    data: answers,
  });
  expect(sent.status()).toBe(201);
  return mapUrl;
}

test("opportunities from every map form one backlog, ranked by evidence and triaged in place", async ({ page, request }) => {
  const stamp = Date.now().toString(36);
  await measuredMap(page, request, `Backlog ${stamp}`);

  await page.goto("/");
  await hydrated(page);
  await page.getByRole("navigation", { name: "Home views" }).getByRole("link", { name: "Opportunities" }).click();
  await expect(page).toHaveURL(/\?view=opportunities$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Opportunities");
  await page.getByRole("search").getByRole("combobox", { name: "Map", exact: true }).selectOption({ label: `Backlog ${stamp}` });
  const items = page.locator(".opportunity");
  await expect(items).toHaveCount(5);
  // Guest checkout answers the checkout stage, whose touchpoint measurably scores low: first.
  const guest = items.first();
  // Ranks count across every map, and other tests' maps measured the same way tie with this
  // one: its rank is its place among them, first among its own map's.
  await expect(guest.getByRole("heading", { level: 3 })).toHaveText(/^\d+\. Guest checkout$/);
  const rank = Number((await guest.getByRole("heading", { level: 3 }).textContent())!.split(".")[0]);
  for (const other of await items.all()) {
    const text = (await other.getByRole("heading", { level: 3 }).textContent())!;
    expect(Number(text.split(".")[0])).toBeGreaterThanOrEqual(rank);
  }
  await expect(guest.locator(".priority")).toHaveText(/^Evidence: \d+/);
  await expect(guest.locator(".evidence-links")).toContainText(
    /Purchase · Touchpoint: Checkout — NPS -100 against the map's [+-]?\d+: at least \d+ points below, significantly; 60 answers/,
  );
  await expect(items.nth(1).locator(".priority")).toHaveText("No measured evidence yet");

  // Triage it from its menu, opened from the keyboard.
  const summary = guest.locator(".triage-menu summary");
  await expect(summary).toHaveAttribute("aria-label", "Triage Guest checkout");
  await summary.focus();
  await page.keyboard.press("Enter");
  const panel = guest.locator(".triage-panel");
  await panel.getByRole("combobox", { name: "Status", exact: true }).selectOption({ label: "Planned" });
  await panel.getByRole("combobox", { name: "Impact", exact: true }).selectOption({ label: "High" });
  await panel.getByRole("combobox", { name: "Effort", exact: true }).selectOption({ label: "Low" });
  await panel.getByRole("button", { name: "Save" }).click();
  await expect(guest.locator(".status-badge")).toHaveText("Planned");
  await expect(guest.locator(".figures")).toContainText("Impact: High");
  await expect(guest.locator(".tag")).toHaveText("Quick win");

  // The matrix puts it where high impact meets low effort; the rest wait to be sized.
  await page.getByRole("search").getByLabel("Impact × effort").check();
  const matrix = page.getByRole("table", { name: /Impact × effort/ });
  await expect(matrix.getByRole("row", { name: /High impact/ }).getByRole("cell").first()).toHaveText(`${rank}. Guest checkout`);
  await expect(page.locator(".unsized li")).toHaveCount(4);
  await accessible(page, "the opportunity backlog");

  // Kept across a reload; done ones leave the open view.
  await page.reload();
  await hydrated(page);
  await page.getByRole("search").getByRole("combobox", { name: "Map", exact: true }).selectOption({ label: `Backlog ${stamp}` });
  await expect(page.locator(".opportunity").first().locator(".status-badge")).toHaveText("Planned");
  await page.getByRole("search").getByRole("combobox", { name: "Status", exact: true }).selectOption({ label: "Done" });
  await expect(page.getByText("No opportunities match these filters.")).toBeVisible();
});

test("targets are set in the map's feedback settings and read against the figures everywhere", async ({ page, request }) => {
  const stamp = Date.now().toString(36);
  const mapUrl = await measuredMap(page, request, `Targets ${stamp}`);
  await page.reload();
  await hydrated(page);
  await page.getByRole("button", { name: "Feedback", exact: true }).click();
  await page.getByRole("tab", { name: "Settings" }).click();
  // A value out of range is refused with the reason, and nothing is kept.
  await page.getByRole("combobox", { name: "Measure" }).selectOption({ label: "CES" });
  await page.getByLabel("Target value").fill("9");
  await page.getByRole("button", { name: "Add target" }).click();
  await expect(page.getByRole("alert")).toContainText("a CES target is between 1.0 and 7.0");
  // NPS +30 on the whole map, CSAT 80% at Purchase.
  await page.getByRole("combobox", { name: "Measure" }).selectOption({ label: "NPS" });
  await page.getByLabel("Target value").fill("30");
  await page.getByRole("button", { name: "Add target" }).click();
  await page.getByRole("combobox", { name: "Target on" }).selectOption({ label: "Purchase" });
  await page.getByRole("combobox", { name: "Measure" }).selectOption({ label: "CSAT" });
  await page.getByLabel("Target value").fill("80");
  await page.getByRole("button", { name: "Add target" }).click();
  await expect(page.getByRole("button", { name: /^Remove the target/ })).toHaveCount(2);
  await expect(page.getByRole("alert")).toHaveCount(0);

  // The Overview reads each against its figure: NPS 0 ± 18 is surely under +30.
  await page.getByRole("tab", { name: "Overview" }).click();
  const targets = page.locator(".targets li");
  await expect(targets).toHaveCount(2);
  await expect(targets.first()).toContainText(/Whole map.*NPS target \+30: \+0 \(95% interval -\d+ to \+\d+\), below target/);
  await expect(targets.first()).toHaveClass(/standing-below/);
  await expect(targets.nth(1)).toContainText("Purchase");
  await expect(targets.nth(1)).toContainText("CSAT target 80%: no figure yet");

  // The map's history lists them beside its own edits.
  await page.getByRole("button", { name: "History", exact: true }).click();
  await expect(page.locator(".side-changes li").first()).toContainText("Target: Purchase: CSAT 80%");
  await expect(page.locator(".side-changes")).toContainText("Target: Whole map: NPS +30");

  // Undone there, and another editor's open Overview follows without a reload; then redone.
  const other = await page.context().newPage();
  await other.goto(mapUrl);
  await hydrated(other);
  await other.getByRole("button", { name: "Feedback", exact: true }).click();
  await expect(other.locator(".targets li")).toHaveCount(2);
  await page.getByRole("button", { name: "Undo: Target: Purchase: CSAT 80%" }).click();
  const newest = page.locator(".side-changes li").first();
  await expect(newest).toContainText("Undone: Target: Purchase: CSAT 80%");
  await expect(page.getByRole("button", { name: "Undo: Target: Purchase: CSAT 80%" })).toHaveCount(0);
  await expect(other.locator(".targets li")).toHaveCount(1);
  await newest.getByRole("button", { name: /^Undo/ }).click();
  await expect(page.locator(".side-changes li").first()).toContainText("Redone: Target: Purchase: CSAT 80%");
  await expect(other.locator(".targets li")).toHaveCount(2);
  await other.close();

  // Kept in the map, so after a reload too; the landscape shows the map's own target.
  await page.goto("/");
  await hydrated(page);
  const row = page.locator(".map-row").filter({ hasText: `Targets ${stamp}` });
  await expect(row.locator(".figures")).toContainText("NPS target +30: +0");
  await page.getByRole("search").getByRole("searchbox", { name: "Search" }).fill(stamp);
  await page.getByRole("search").getByLabel("Below target").check();
  await expect(page.locator(".map-row")).toHaveCount(1);

  // The presentation shows the stage's target on the stage's slide.
  await page.goto(`${mapUrl}/present#4`);
  await expect(page.locator("[data-where]")).toHaveText("Slide 4 of 6: Purchase");
  await expect(page.locator("#slide-4")).toContainText("CSAT target 80%: no figure yet");
  await expect(page.locator("#slide-1")).toContainText("NPS target +30: +0");
});

test("maps link into a hierarchy and a to-be map is compared with its as-is map", async ({ page }) => {
  const stamp = Date.now().toString(36);
  await createMap(page, "Customer journey", `Parent ${stamp}`);
  const parentUrl = page.url();
  await createMap(page, "Blank map", `Child ${stamp}`);
  await page.goto("/");
  await hydrated(page);
  await page.getByRole("search").getByRole("searchbox", { name: "Search" }).fill(stamp);
  // A row by its map's own link (other rows link to it too, in their family line).
  const row = (title: string) =>
    page.locator(".map-row").filter({ has: page.locator("a.map-link").filter({ hasText: new RegExp(`^${title}$`) }) });
  const [parent, child] = [row(`Parent ${stamp}`), row(`Child ${stamp}`)];

  // The child details the parent's Retention stage.
  const menu = child.locator("details.parent-menu");
  await menu.locator("summary").click();
  await menu.getByRole("combobox", { name: "Parent map" }).selectOption({ label: `Parent ${stamp}` });
  await menu.getByRole("combobox", { name: "Stage it details" }).selectOption({ label: "Retention" });
  await menu.getByRole("button", { name: "Save" }).click();
  await expect(child.locator(".family")).toHaveText(`Sub-journey of Parent ${stamp} · Retention stage`);
  await expect(parent.locator(".family")).toHaveText(`Sub-journeys: Child ${stamp} (Retention)`);
  // The breadcrumb opens the parent.
  await expect(child.locator(".family").getByRole("link", { name: `Parent ${stamp}` })).toHaveAttribute("href", new URL(parentUrl).pathname);

  // A to-be map of the parent, linked to it, and the two compared.
  await parent.getByRole("button", { name: `Make a to-be map of Parent ${stamp}` }).click();
  const toBe = row(`To-be: Parent ${stamp}`);
  await expect(toBe.locator(".family")).toContainText(`To-be of Parent ${stamp}`);
  await accessible(page, "the landscape with linked maps");
  await toBe.getByRole("link", { name: "Compare with as-is" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("As-is and to-be");
  await expect(page.locator(".compare-summary")).toContainText("0 added, 0 removed, 0 changed");
  await expect(page.getByRole("heading", { level: 2 })).toHaveText(["Awareness", "Consideration", "Purchase", "Retention", "Advocacy"]);
  await accessible(page, "the as-is/to-be comparison");

  // The parent's presentation names the sub-journey on the Retention slide.
  await page.goto(`${parentUrl}/present#5`);
  await expect(page.locator("[data-where]")).toHaveText("Slide 5 of 6: Retention");
  await expect(page.locator("#slide-5")).toContainText(`Sub-journeys: Child ${stamp}`);

  // The parent's editor lists it under the Retention stage's name; it opens the child, whose
  // breadcrumb leads back.
  await page.goto(parentUrl);
  await hydrated(page);
  const retention = page.locator(".stage-header").filter({ hasText: "Retention" });
  await retention.getByRole("list", { name: "Sub-journeys" }).getByRole("link", { name: `Child ${stamp}` }).click();
  await expect(page.locator(".map-title")).toHaveText(`Child ${stamp}`);
  await hydrated(page);
  await expect(page.getByRole("navigation", { name: "Part of" }).getByRole("link")).toHaveText([`Parent ${stamp}`]);
  await accessible(page, "a sub-journey's editor");

  // Made the sub-journey of one of Retention's cards instead, it shows on that card, in an
  // editor of the parent left open too, without a reload.
  const open = await page.context().newPage();
  await open.goto(parentUrl);
  await hydrated(open);
  await page.goto("/");
  await hydrated(page);
  await page.getByRole("search").getByRole("searchbox", { name: "Search" }).fill(stamp);
  await menu.locator("summary").click();
  await menu.getByRole("combobox", { name: "Parent map" }).selectOption({ label: `Parent ${stamp}` });
  await menu.getByRole("combobox", { name: "Stage it details" }).selectOption({ label: "Retention" });
  const cardField = menu.getByRole("combobox", { name: "Card it details" });
  await expect(cardField.locator("option").nth(1)).toBeAttached();
  const cardText = (await cardField.locator("option").nth(1).textContent()) ?? "";
  await cardField.selectOption({ index: 1 });
  await Promise.all([
    page.waitForResponse((r) => r.url().includes("/api/set_parent") && r.ok()),
    menu.getByRole("button", { name: "Save" }).click(),
  ]);
  await expect(child.locator(".family")).toHaveText(`Sub-journey of Parent ${stamp} · Retention stage · \u201c${cardText}\u201d`);
  const openCard = open.locator(".card").filter({ hasText: cardText });
  await expect(openCard.getByRole("link", { name: `Child ${stamp}` })).toBeVisible();
  await expect(open.locator(".stage-header").getByRole("link", { name: `Child ${stamp}` })).toHaveCount(0);
  await open.close();
  await page.goto(parentUrl);
  await hydrated(page);
  const card = page.locator(".card").filter({ hasText: cardText });
  await expect(card.getByRole("list", { name: "Sub-journeys" }).getByRole("link", { name: `Child ${stamp}` })).toBeVisible();
  await expect(retention.getByRole("list", { name: "Sub-journeys" })).toHaveCount(0);
  await accessible(page, "a card's sub-journey");
});

test("a persona shared in the library is edited in one place and changes on every map using it", async ({ page }) => {
  const stamp = Date.now().toString(36);
  await createMap(page, "Customer journey", `Shoes ${stamp}`);
  await createMap(page, "Blank map", `Returns ${stamp}`);
  const returnsUrl = page.url();
  await page.goto("/?view=personas");
  await hydrated(page);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Personas");

  // Maya, from the shoe map, into the library; then onto the returns map.
  await page.getByRole("combobox", { name: "Put a map's persona into the library" }).selectOption({ label: `Maya, the busy commuter — Shoes ${stamp}` });
  await page.getByRole("button", { name: "Share it" }).click();
  const maya = page.locator(".library-persona").filter({ hasText: `Shoes ${stamp}` });
  await expect(maya.getByRole("heading", { level: 3 })).toHaveText("Maya, the busy commuter");
  await maya.getByRole("combobox", { name: "Use Maya, the busy commuter on" }).selectOption({ label: `Returns ${stamp}` });
  await maya.getByRole("button", { name: "Add to map" }).click();
  await expect(maya.locator(".library-uses")).toContainText(`Returns ${stamp}`);
  await accessible(page, "the persona library");

  // One edit in the library…
  await maya.locator(".library-edit summary").click();
  await maya.getByLabel("Goals").fill(`Shoes that survive the commute ${stamp}`);
  await maya.getByRole("button", { name: "Save everywhere" }).click();
  await expect(page.getByRole("alert")).toHaveCount(0);

  // …shows on the map that took it, as an edit of that map.
  await page.goto(returnsUrl);
  await hydrated(page);
  await expect(page.locator(".personas")).toContainText(`Shoes that survive the commute ${stamp}`);
});

test("metric definitions and channels are kept once in the library and used by every map", async ({ page, request }) => {
  const stamp = Date.now().toString(36);

  // A channel with the other labels answers arrive with; a label cannot mean two channels.
  await page.goto("/?view=channels");
  await hydrated(page);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Channels");
  const addChannel = async (name: string, aliases: string) => {
    const form = page.locator("details.library-new");
    if (!(await form.evaluate((d) => (d as HTMLDetailsElement).open))) await form.locator("summary").click();
    await form.getByLabel("Name").fill(name);
    await form.getByLabel(/^Other labels/).fill(aliases);
    await form.getByRole("button", { name: "Save channel" }).click();
  };
  await addChannel(`App ${stamp}`, `ios-${stamp}, android-${stamp}`);
  const app = page.locator(".library-persona").filter({ hasText: `App ${stamp}` });
  await expect(app).toContainText(`Also arrives as: ios-${stamp}, android-${stamp}`);
  await addChannel(`Phone ${stamp}`, `IOS-${stamp}`);
  await expect(page.getByRole("alert")).toContainText(`already means the channel “App ${stamp}”`);
  await expect(page.locator(".library-persona").filter({ hasText: `Phone ${stamp}` })).toHaveCount(0);
  await accessible(page, "the channels");

  // Answers sent as "ios-…" are stored, and filtered, under the channel's name.
  const mapUrl = await measuredMap(page, request, `Metrics ${stamp}`, `ios-${stamp}`);
  await page.reload();
  await hydrated(page);
  await page.getByRole("button", { name: "Feedback", exact: true }).click();
  const channels = page.locator(".filter-bar").getByRole("combobox", { name: "Channel" });
  await expect(channels.locator("option")).toHaveText(["All channels", `App ${stamp}`]);

  // A metric defined once, with its target, taken as the map's target…
  await page.goto("/?view=metrics");
  await hydrated(page);
  await page.locator("details.library-new summary").click();
  const create = page.locator("details.library-new");
  await create.getByLabel("Name").fill(`Shop NPS ${stamp}`);
  await create.getByRole("combobox", { name: "Measure" }).selectOption({ label: "NPS" });
  await create.getByLabel("Target").fill("30");
  await create.getByLabel("How it is measured").fill("Asked a day after delivery");
  await create.getByRole("button", { name: "Add to library" }).click();
  const metric = page.locator(".library-persona").filter({ hasText: `Shop NPS ${stamp}` });
  await expect(metric).toContainText("NPS target +30");
  // The new-metric form closes, emptied, for the next one.
  await expect(create).not.toHaveAttribute("open");
  await expect(create.getByLabel("Name")).toHaveValue("");
  await metric.getByRole("combobox", { name: `Make Shop NPS ${stamp} a target of` }).selectOption({ label: `Metrics ${stamp} — whole map` });
  await metric.getByRole("button", { name: "Set target" }).click();
  await expect(metric.locator(".library-uses")).toContainText(`Metrics ${stamp}`);
  // …and raised once for every map that took it; a target out of range is refused.
  await metric.locator(".library-edit summary").click();
  await metric.locator(".library-edit").getByLabel("Target").fill("300");
  await metric.getByRole("button", { name: "Save everywhere" }).click();
  await expect(page.getByRole("alert")).toContainText("a NPS target is between");
  await metric.locator(".library-edit").getByLabel("Target").fill("+40");
  await metric.getByRole("button", { name: "Save everywhere" }).click();
  await expect(metric).toContainText("NPS target +40");
  await accessible(page, "the metric definitions");

  // The map reads it against its figures, by the metric's name.
  await page.goto(mapUrl);
  await hydrated(page);
  await page.getByRole("button", { name: "Feedback", exact: true }).click();
  await expect(page.locator(".targets li")).toContainText(
    new RegExp(`Shop NPS ${stamp} — NPS target \\+40: \\+0 \\(95% interval -\\d+ to \\+\\d+\\), below target`),
  );
  await page.getByRole("tab", { name: "Settings" }).click();
  await expect(page.getByRole("button", { name: /^Remove the target/ })).toHaveAttribute(
    "aria-label",
    `Remove the target Whole map: NPS +40 (the library's metric “Shop NPS ${stamp}”)`,
  );
});
