import { collectFeedback, createMap, expect, hydrated, test } from "./helpers";
import type { Page } from "@playwright/test";

/** Answers the public form at `url` in `page`: NPS `nps`, CSAT `csat` and a comment. */
async function answerForm(page: Page, url: string, nps: number, csat: number, comment: string) {
  await page.goto(url);
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  // The form shows nothing of the map.
  await expect(page.locator(".grid-scroll, .card")).toHaveCount(0);
  await page.getByRole("group", { name: /recommend/ }).getByLabel(String(nps), { exact: true }).check();
  await page.getByRole("group", { name: /satisfied/ }).getByLabel(String(csat), { exact: true }).check();
  await page.getByLabel("Anything you would like to tell us?").fill(comment);
  await page.getByRole("button", { name: "Send feedback" }).click();
  await expect(page).toHaveURL(/\/thanks$/);
  await expect(page.getByRole("heading", { name: "Thank you!" })).toBeVisible();
}

test("customers answer a touchpoint's public form with JavaScript on and off", async ({ browser, page }) => {
  await createMap(page, "Customer journey", "Feedback by form");
  const url = await collectFeedback(page, "Instagram post");

  // A customer with scripts off, and one with scripts on; neither is signed in.
  const plain = await browser.newContext({ javaScriptEnabled: false });
  await answerForm(await plain.newPage(), url, 3, 2, "The checkout was slow and confusing");
  const scripted = await browser.newContext();
  const withJs = await scripted.newPage();
  await answerForm(withJs, url, 10, 5, "Lovely photos, quick to find the shop");

  // An out-of-range score (a tampered form) is refused with a message and stores nothing.
  const refused = await plain.request.post(url, {
    form: { nps: "11", comment: "tampered" },
    maxRedirects: 0,
  });
  expect(refused.status()).toBe(303);
  expect(refused.headers()["location"]).toMatch(/\?error=/);
  await plain.close();

  // A form whose link is unknown says so, without showing anything else.
  await withJs.goto(url.replace(/\/f\/.*$/, "/f/not-a-real-form-link-000000"));
  await expect(withJs.getByRole("heading", { name: "This feedback form isn't available" })).toBeVisible();
  await scripted.close();

  // The open map hears of the answers and updates without a reload. Two answers are below
  // the map's minimum of 5, so the card shows the count, not a score.
  const chip = page.locator(".card", { hasText: "Instagram post" }).locator(".score-chip");
  await expect(chip).toHaveText(/n=2/);
  await expect(chip).toHaveClass(/tone-none/);

  // The inbox lists both, newest first; the unhappy filter keeps the detractor.
  await page.getByRole("button", { name: "Feedback", exact: true }).click();
  await page.getByRole("tab", { name: "Inbox" }).click();
  const items = page.locator(".inbox-item");
  await expect(items).toHaveCount(2);
  await expect(items.first()).toContainText("Lovely photos");
  await page.getByLabel(/Only unhappy answers/).check();
  await expect(items).toHaveCount(1);
  await expect(items.first()).toContainText("checkout was slow");
  await items.first().getByLabel("Followed up").check();
  await page.getByLabel(/Only unhappy answers/).uncheck();
  await expect(items).toHaveCount(2);
  await expect(items.nth(1)).toHaveClass(/done/);
});

test("answers sent through the API show as a coloured score with its interval", async ({ page, request }) => {
  await createMap(page, "Customer journey", "Feedback by API");
  await collectFeedback(page, "Instagram post");
  const mapId = page.url().split("/").pop();
  const cardId = (await page.locator(".card", { hasText: "Instagram post" }).getAttribute("id"))!.replace(
    "card-",
    "",
  );

  await page.getByRole("button", { name: "Feedback", exact: true }).click();
  await page.getByRole("tab", { name: "API" }).click();
  await page.getByLabel("Key label").fill("Help desk");
  await page.getByRole("button", { name: "Create key" }).click();
  const key = await page.getByLabel("New key (shown only now)").inputValue();
  expect(key.length).toBeGreaterThan(20);

  const endpoint = `/api/v1/maps/${mapId}/responses`;
  const auth = { Authorization: `Bearer ${key}` };
  // A bad payload is refused whole, naming the row and field.
  const bad = await request.post(endpoint, {
    headers: auth,
    data: [
      { touchpoint: cardId, nps: 9 },
      { touchpoint: cardId, nps: 12 },
    ],
  });
  expect(bad.status()).toBe(422);
  expect(JSON.stringify(await bad.json())).toContain("nps");
  // A wrong key is refused.
  const wrong = await request.post(endpoint, {
    headers: { Authorization: "Bearer not-a-key" },
    data: { touchpoint: cardId, nps: 9 },
  });
  expect(wrong.status()).toBe(401);

  // Ten answers: 7 promoters, 1 passive, 2 detractors, so NPS +50.
  const scores = [10, 10, 9, 9, 9, 10, 9, 8, 2, 5];
  const good = await request.post(endpoint, {
    headers: auth,
    data: scores.map((nps, i) => ({ touchpoint: cardId, nps, comment: `Answer ${i}`, channel: "web" })),
  });
  expect(good.status()).toBe(201);

  await page.reload();
  await hydrated(page);
  const chip = page.locator(".card", { hasText: "Instagram post" }).locator(".score-chip");
  await expect(chip).toContainText("NPS +50");
  await expect(chip).toContainText("n=10");
  // Fewer than 30 answers: marked as low confidence.
  await expect(chip.locator(".low-confidence")).toBeVisible();
  await expect(chip).toHaveAttribute("title", /95% interval/);
  // Its stage sums up its touchpoints under the stage's name.
  const stage = page.locator(".stage-header", { hasText: "Awareness" }).locator(".score-chip");
  await expect(stage).toContainText("NPS +50");

  await chip.click();
  const panel = page.locator(".touchpoint-feedback");
  await expect(panel.locator(".score-line").first()).toContainText("+50");
  await expect(panel.locator(".score-line").first()).toContainText("n=10");
  await expect(panel.getByRole("img", { name: /NPS answers by score/ })).toBeVisible();
  await expect(panel.getByRole("img", { name: /NPS by week/ })).toBeVisible();
  // Ten comments: above the comment minimum of 8, so quotes are shown.
  await expect(panel.locator(".quote").first()).toBeVisible();

  // Editors can take the responses away as CSV from the Export menu.
  await page.locator("summary", { hasText: "Export" }).click();
  const link = page.getByRole("link", { name: /Feedback responses \(CSV\)/ });
  await expect(link).toHaveAttribute("href", `/maps/${mapId}/export/responses`);
  const csv = await page.request.get(`/maps/${mapId}/export/responses`);
  expect(csv.status()).toBe(200);
  const lines = (await csv.text()).trim().split("\n");
  expect(lines).toHaveLength(11);
  expect(lines[0]).toContain("touchpoint,touchpoint_name,at,nps");
});

test("a CSV file with bad rows is refused whole with each row's line and reason", async ({ page }) => {
  await createMap(page, "Customer journey", "Feedback by CSV");
  await collectFeedback(page, "Instagram post");
  await page.getByRole("button", { name: "Feedback", exact: true }).click();
  await page.getByRole("tab", { name: "Import CSV" }).click();

  const bad = [
    "touchpoint,date,nps,comment",
    "Instagram post,2026-11-02,9,Great",
    "Instagram post,2026-11-03,11,Out of range",
    "Instagram post,2026-11-04,7,Fine",
    "Nowhere,2026-11-05,8,Unknown touchpoint",
  ].join("\n");
  await page.getByLabel("CSV file").setInputFiles({ name: "bad.csv", mimeType: "text/csv", buffer: Buffer.from(bad) });
  await expect(page.getByRole("columnheader", { name: /nps/ })).toBeVisible();
  await page.getByRole("button", { name: "Import", exact: true }).click();
  const report = page.locator(".rejections");
  await expect(report).toBeVisible();
  await expect(report.locator("tbody tr")).toHaveCount(2);
  await expect(report.locator("tbody tr").nth(0)).toContainText("3");
  await expect(report.locator("tbody tr").nth(0)).toContainText("nps");
  await expect(report.locator("tbody tr").nth(1)).toContainText("5");

  // Nothing was imported.
  await page.getByRole("tab", { name: "Inbox" }).click();
  await expect(page.getByText("No answers here yet.")).toBeVisible();

  // The same file without its bad rows goes in whole.
  await page.getByRole("tab", { name: "Import CSV" }).click();
  const good = bad.split("\n").filter((_, i) => i !== 2 && i !== 4).join("\n");
  await page.getByLabel("CSV file").setInputFiles({ name: "good.csv", mimeType: "text/csv", buffer: Buffer.from(good) });
  await page.getByRole("button", { name: "Check file" }).click();
  await expect(page.getByRole("status").filter({ hasText: "All 2 rows are fine" })).toBeVisible();
  await page.getByRole("button", { name: "Import", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: "Imported 2 answers." })).toBeVisible();
  await page.getByRole("tab", { name: "Inbox" }).click();
  await expect(page.locator(".inbox-item")).toHaveCount(2);
});
