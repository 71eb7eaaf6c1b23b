import { createMap, expect, saved, test } from "./helpers";

const payload = "<img src=x onerror=alert(1)>";

test("markup in a card is shown as text and never runs", async ({ browser, page }) => {
  const dialogs: string[] = [];
  page.on("dialog", (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await createMap(page, "Blank map", "Escaping");
  await page.getByRole("button", { name: "Add card to Stage 1 · Customer actions" }).click();
  const composer = page.getByRole("textbox", { name: "New card text" });
  await composer.fill(payload);
  await composer.press("Enter");
  await composer.press("Escape");
  await saved(page);

  const cards = page.locator(".card");
  await expect(cards.getByText(payload, { exact: true })).toBeVisible();
  await expect(page.locator(".card img")).toHaveCount(0);

  // Rendered by the server this time.
  await page.reload();
  await expect(cards.getByText(payload, { exact: true })).toBeVisible();
  await expect(page.locator(".card img")).toHaveCount(0);

  const context = await browser.newContext({ javaScriptEnabled: false });
  const plain = await context.newPage();
  await plain.goto(page.url());
  await expect(plain.locator(".card").getByText(payload, { exact: true })).toBeVisible();
  await expect(plain.locator(".card img")).toHaveCount(0);
  await context.close();

  expect(dialogs).toEqual([]);
});

const refresh = 'Q3</title><meta http-equiv="refresh" content="0;url=/no-such-page?x">';
const breakout = '"><img src=x onerror=alert(7)>';

test("user text in the head and in attributes stays text, with JavaScript on and off", async ({ browser, page }) => {
  const dialogs: string[] = [];
  page.on("dialog", (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await createMap(page, "Blank map", "Head and attributes");
  const id = page.url().split("/").pop();
  const file = await (await page.request.get(`/maps/${id}/export/json`)).json();
  file.map.title = refresh;
  file.map.stages[0].name = breakout;
  const imported = await page.request.post("/maps/import", { data: file });
  expect(imported.status()).toBe(201);
  const mapUrl = `/maps/${(await imported.json()).id}`;
  await page.goto(mapUrl);
  await page.getByRole("group", { name: "Panels" }).getByRole("button", { name: "Share" }).click();
  await page.getByRole("button", { name: "Create link" }).click();
  const share = await page.getByLabel("Share link (shown only now)").inputValue();
  const embed = share.replace("/s/", "/embed/");

  const noscript = await browser.newContext({ javaScriptEnabled: false, storageState: ".auth/admin.json" });
  const scripted = await browser.newContext({ storageState: ".auth/admin.json" });
  for (const context of [scripted, noscript]) {
    const visitor = await context.newPage();
    visitor.on("dialog", (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    for (const url of [mapUrl, share, embed]) {
      await visitor.goto(url);
      // Nothing sends the visitor elsewhere, now or a moment later.
      await visitor.waitForTimeout(700);
      expect(new URL(visitor.url()).pathname).toBe(new URL(url, page.url()).pathname);
      expect(await visitor.title()).toContain(refresh);
      await expect(visitor.locator("head meta[http-equiv]")).toHaveCount(0);
      await expect(visitor.locator("img[src=x]")).toHaveCount(0);
      // The stage name reaches its attributes as text.
      const labels = await visitor.locator("[aria-label]").evaluateAll((els) => els.map((el) => el.getAttribute("aria-label")));
      if (url === mapUrl) expect(labels).toContain(`Move stage ${breakout} left`);
      await expect(visitor.getByRole("heading", { name: breakout, exact: true })).toBeVisible();
    }
    await context.close();
  }
  const svg = await (await page.request.get(`${mapUrl}/export/svg`)).text();
  expect(svg).not.toContain("<img");
  expect(svg).toContain("&lt;/title&gt;");
  const mermaid = await (await page.request.get(`${mapUrl}/export/mermaid`)).text();
  expect(mermaid).not.toContain("<meta");
  expect(dialogs).toEqual([]);
});
