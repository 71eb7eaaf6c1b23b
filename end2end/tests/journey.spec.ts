// Journey analytics from end to end: behavioural events sent through the API appear on the map
// as each stage's reach and conversion, with the significant drop-off flagged.
import { createMap, expect, hydrated, test } from "./helpers";
import type { Page } from "@playwright/test";

async function cardId(page: Page, name: string): Promise<string> {
  const id = await page.locator(".card", { hasText: name }).first().getAttribute("id");
  return id!.replace("card-", "");
}

test("events sent through the API show each stage's reach, conversion and the drop-off", async ({ page, request }) => {
  await createMap(page, "Customer journey", "Measured journey");
  const mapId = page.url().split("/").pop();
  const [instagram, product, checkout, email] = [
    await cardId(page, "Instagram post"),
    await cardId(page, "Product page"),
    await cardId(page, "Checkout"),
    await cardId(page, "Care-tips email"),
  ];
  await page.getByRole("button", { name: "Feedback", exact: true }).click();
  await page.getByRole("tab", { name: "API" }).click();
  await page.getByLabel("Key label").fill("Analytics");
  await page.getByRole("button", { name: "Create key" }).click();
  const key = await page.getByLabel("New key (shown only now)").inputValue();
  const endpoint = `/api/v1/maps/${mapId}/events`;
  const auth = { Authorization: `Bearer ${key}` };

  // A bad event refuses the batch whole, by position and field.
  const bad = await request.post(endpoint, {
    headers: auth,
    data: [
      { customer: "c-1", touchpoint: instagram },
      { customer: "c-2", touchpoint: "no-such-card" },
    ],
  });
  expect(bad.status()).toBe(422);
  const refused = await bad.json();
  expect(refused.rejected).toEqual([expect.objectContaining({ index: 1, field: "touchpoint" })]);

  // 200 customers see the post; 160 go on to the product page (80%), only 40 of them to the
  // checkout (25%: the drop-off), and 30 of those to the care-tips email (75%).
  const day = 86_400_000;
  const start = Date.now() - 20 * day;
  const events = [];
  for (let i = 0; i < 200; i++) {
    const customer = `customer-${i}@example.com`;
    events.push({ customer, touchpoint: instagram, at: start + i * 1000, channel: "social" });
    if (i < 160) events.push({ customer, touchpoint: product, at: start + day + i * 1000 });
    if (i < 40) events.push({ customer, touchpoint: checkout, at: start + 2 * day + i * 1000 });
    if (i < 30) events.push({ customer, touchpoint: email, at: start + 9 * day + i * 1000 });
  }
  const good = await request.post(endpoint, { headers: auth, data: { events } });
  expect(good.status()).toBe(201);
  expect((await good.json()).accepted).toBe(events.length);

  await page.reload();
  await hydrated(page);
  const header = (name: string) => page.locator(".stage-header", { hasText: name });
  const awareness = header("Awareness").locator(".stage-funnel");
  await expect(awareness).toContainText("200 reached");
  await expect(awareness).toContainText("80% went on");
  await expect(awareness).toContainText("in 1.0 days");
  await expect(awareness).toHaveAttribute("title", /95% interval/);
  const consideration = header("Consideration");
  await expect(consideration.locator(".stage-funnel")).toContainText("160 reached");
  await expect(consideration.locator(".stage-funnel")).toContainText("25% went on");
  await expect(consideration.locator(".pain-point", { hasText: "Drop-off" })).toBeVisible();
  await expect(header("Purchase").locator(".stage-funnel")).toContainText("40 reached");
  await expect(header("Retention").locator(".stage-funnel")).toContainText("30 reached");
  // A touchpoint's panel: how many reached it, as a share of its stage, and where they went.
  await page
    .locator(".card", { hasText: "Product page" })
    .getByRole("button", { name: "Feedback on this touchpoint" })
    .click();
  const touchpoint = page.getByRole("region", { name: /Product page/ });
  await expect(touchpoint).toContainText("160 customers reached this touchpoint: 100% of its stage's");
  await expect(touchpoint).toContainText("Next, most often: Checkout (40).");
  // Only the one significant drop-off is flagged.
  await expect(page.locator(".stage-header .pain-point", { hasText: "Drop-off" })).toHaveCount(1);

  // The Journey panel: the same funnel as bars with the drop-off marked, and the path flows as
  // bands (one per move between touchpoints) with their table.
  await page.getByRole("group", { name: "Panels" }).getByRole("button", { name: "Journey" }).click();
  const panel = page.getByRole("region", { name: "Journey analytics" });
  await expect(panel.locator(".funnel-stage", { hasText: "Awareness" })).toContainText("200 reached");
  await expect(panel.locator(".funnel-stage", { hasText: "Awareness" })).toContainText("80% went on");
  await expect(panel.locator(".funnel-stage.drop-off")).toContainText("Consideration");
  await expect(panel.getByRole("img", { name: /moves between touchpoints/ })).toBeVisible();
  await expect(panel.locator(".flow-band")).toHaveCount(3);
  // The panels' own stylesheet came with the panel: bands are strokes, not black shapes.
  await expect(panel.locator(".flow-band").first()).toHaveCSS("fill", "none");
  const row = (touchpoint: string) =>
    panel.getByRole("row").filter({ has: page.getByRole("rowheader", { name: new RegExp(`^${touchpoint}`) }) });
  await expect(row("Instagram post")).toContainText("Product page (160)");
  await expect(row("Checkout")).toContainText("care-tips email (30)");

  // The owner forgets one customer on request: asked to confirm, told what went, and the map
  // counts one customer fewer.
  await page.getByRole("button", { name: "Feedback", exact: true }).click();
  await page.getByRole("tab", { name: "Settings" }).click();
  await page.getByLabel("Customer reference").fill("customer-0@example.com");
  await page.getByRole("button", { name: "Forget…" }).click();
  await expect(page.getByRole("group", { name: "Confirm forgetting a customer" })).toContainText(
    "customer-0@example.com",
  );
  await page.getByRole("button", { name: "Forget this customer" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Deleted" })).toContainText(
    "Deleted 4 events and 0 answers of customer-0@example.com",
  );
  await expect(awareness).toContainText("199 reached");
  await page.getByLabel("Customer reference").fill("nobody@example.com");
  await page.getByRole("button", { name: "Forget…" }).click();
  await page.getByRole("button", { name: "Forget this customer" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Nothing is stored" })).toContainText(
    "nobody@example.com",
  );

  // Six weeks ago, 100 customers went on from the product page far more often (80 of 90):
  // against that period, the last 30 days' conversion there is significantly down.
  const earlier = Date.now() - 45 * day;
  const before = [];
  for (let i = 0; i < 100; i++) {
    const customer = `earlier-${i}@example.com`;
    before.push({ customer, touchpoint: instagram, at: earlier + i * 1000 });
    if (i < 90) before.push({ customer, touchpoint: product, at: earlier + day + i * 1000 });
    if (i < 80) before.push({ customer, touchpoint: checkout, at: earlier + 2 * day + i * 1000 });
  }
  expect((await request.post(endpoint, { headers: auth, data: { events: before } })).status()).toBe(201);
  await page.reload();
  await hydrated(page);
  await expect(awareness).toContainText("299 reached");
  await page.getByRole("group", { name: "Panels" }).getByRole("button", { name: "Journey" }).click();
  const iso = (at: number) => new Date(at).toISOString().slice(0, 10);
  await panel.getByLabel("From", { exact: true }).fill(iso(Date.now() - 30 * day));
  await panel.getByLabel("To", { exact: true }).fill(iso(Date.now()));
  await panel.getByLabel("Compare with the period before").check();
  await expect(panel.locator(".funnel-stage", { hasText: "Consideration" })).toContainText(
    "↓ Down from 89% before (significant)",
  );
  await expect(panel.getByRole("status").filter({ hasText: "Against" })).toContainText("moved significantly");
  await panel.getByRole("button", { name: "All answers" }).click();

  // The owner keeps events 30 days: the earlier customers' events go, the counts stay.
  await page.getByRole("button", { name: "Feedback", exact: true }).click();
  await page.getByRole("tab", { name: "Settings" }).click();
  await page.getByLabel("Days to keep journey events").fill("30");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  const confirm = page.getByRole("group", { name: "Confirm how long events are kept" });
  await expect(confirm).toContainText("older than 30 days");
  await confirm.getByRole("button", { name: "Yes, save" }).click();
  await expect(page.getByRole("status").filter({ hasText: "kept 30 days" })).toContainText(
    "older events of 100 customers were deleted",
  );
  await expect(awareness).toContainText("299 reached");
  await expect(page.getByLabel("Days to keep journey events")).toHaveValue("30");
});
