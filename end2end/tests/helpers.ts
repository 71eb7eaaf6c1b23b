import { expect, type Page } from "@playwright/test";

/** Waits until the page has hydrated and its editing controls work. */
export async function hydrated(page: Page) {
  await page.waitForFunction(() => document.documentElement.classList.contains("hydrated"));
}

/** Creates a map from the template whose label starts with `template` and opens it. */
export async function createMap(page: Page, template: string, title: string) {
  await page.goto("/");
  await hydrated(page);
  await page.getByRole("radio", { name: new RegExp(`^${template}`) }).check();
  await page.getByLabel("Title (optional)").fill(title);
  await page.getByRole("button", { name: "Create map" }).click();
  await expect(page).toHaveURL(/\/maps\/[0-9a-f-]{36}$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(title);
  await hydrated(page);
}

/** Waits until every edit has reached the server. */
export async function saved(page: Page) {
  await expect(page.getByRole("status")).toHaveText(/All changes saved/);
}

/** The stage names, left to right. */
export async function stageNames(page: Page): Promise<string[]> {
  return (await page.locator(".stage-name").allInnerTexts()).map((t) => t.trim());
}

/** Edits click-to-edit text: clicks the text, types the new value, presses Enter. */
export async function editText(page: Page, current: string, label: string, value: string) {
  await page.getByRole("button", { name: current, exact: true }).click();
  const input = page.getByRole("textbox", { name: label });
  await input.fill(value);
  await input.press("Enter");
}
