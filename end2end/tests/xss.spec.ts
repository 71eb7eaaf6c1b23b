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
