import { createMap, expect, test } from "./helpers";

test("without JavaScript a visitor sees the whole map, read-only", async ({ browser, page }) => {
  await createMap(page, "Customer journey", "Readable without scripts");
  const url = page.url();

  const context = await browser.newContext({ javaScriptEnabled: false });
  const plain = await context.newPage();
  await plain.goto(url);
  await expect(plain.getByRole("heading", { level: 1 })).toHaveText("Readable without scripts");
  for (const stage of ["Awareness", "Consideration", "Purchase", "Retention", "Advocacy"]) {
    await expect(plain.locator(".stage-name", { hasText: stage })).toBeVisible();
  }
  await expect(plain.getByText("Compares models and reads reviews")).toBeVisible();
  await expect(plain.getByText("Maya, the busy commuter")).toBeVisible();
  await expect(plain.getByRole("slider", { name: "Emotion at Retention" })).toHaveAttribute(
    "aria-valuenow",
    "2",
  );
  // Editing controls need JavaScript, so they are not offered.
  await expect(plain.getByRole("button", { name: "Add stage" })).toBeHidden();
  await expect(plain.getByRole("button", { name: /^Delete/ }).first()).toBeHidden();
  await context.close();
});

test("without JavaScript a password-protected share link opens with its password", async ({ browser, page }) => {
  await createMap(page, "Blank map", "Locked without scripts");
  await page.getByRole("group", { name: "Panels" }).getByRole("button", { name: "Share" }).click();
  await page.getByLabel("Link password").fill("open sesame please");
  await page.getByRole("button", { name: "Create link" }).click();
  const link = await page.getByLabel("Share link (shown only now)").inputValue();

  const context = await browser.newContext({ javaScriptEnabled: false, storageState: { cookies: [], origins: [] } });
  const plain = await context.newPage();
  await plain.goto(link);
  await expect(plain.getByRole("heading", { name: "This map is protected" })).toBeVisible();
  await plain.getByLabel("Password").fill("open sesame please");
  await plain.getByRole("button", { name: "Open map" }).click();
  await expect(plain.getByRole("heading", { level: 1 })).toHaveText("Locked without scripts");
  await context.close();
});
