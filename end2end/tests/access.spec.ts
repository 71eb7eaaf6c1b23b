import type { Browser, Page } from "@playwright/test";
import { createMap, expect, hydrated, saved, test, watchErrors } from "./helpers";

/**
 * Someone new, invited by the owner on `page` to its map as `role`, signed in and on the map in
 * a browser of their own. (The test accounts made at start are admins, who see every map.)
 */
async function invitee(browser: Browser, page: Page, name: string, role: string, errors: string[]): Promise<Page> {
  await page.getByRole("group", { name: "Panels" }).getByRole("button", { name: "Share" }).click();
  await page.getByRole("combobox", { name: "Role for the invitation" }).selectOption(role);
  await page.getByRole("button", { name: "Create invitation link" }).click();
  const invite = await page.getByLabel("Invitation link (valid 7 days)").inputValue();
  const context = await browser.newContext({ storageState: { cookies: [], origins: [] } });
  const other = await context.newPage();
  watchErrors(other, errors);
  await other.goto(invite);
  await hydrated(other);
  await other.getByLabel("Your name").fill(name);
  await other.getByLabel("Email").fill(`${name.toLowerCase().replace(/ /g, ".")}.${Date.now()}@example.com`);
  await other.getByLabel("Password").fill("a long enough password");
  await other.getByRole("button", { name: "Create my account" }).click();
  await expect(other).toHaveURL(page.url());
  await hydrated(other);
  await saved(other);
  // The owner's list of people shows them once the panel reloads.
  await page.reload();
  await hydrated(page);
  await page.getByRole("group", { name: "Panels" }).getByRole("button", { name: "Share" }).click();
  await expect(page.getByRole("combobox", { name: `Role of ${name}` })).toBeVisible();
  return other;
}

test("an editor removed from a map is told so in the open tab, which stops editing", async ({ browser, page, pageErrors }) => {
  await createMap(page, "Customer journey", "Removal");
  const bob = await invitee(browser, page, "Rita Removed", "editor", pageErrors);
  await expect(bob.getByRole("button", { name: "Add stage" })).toBeVisible();
  // Someone signed in is shown by their account's name, not a guest name of their own.
  await expect(bob.locator(".my-name")).toHaveText("Rita Removed");
  await expect(bob.getByRole("textbox", { name: "Your name" })).toHaveCount(0);

  await page.getByRole("combobox", { name: "Role of Rita Removed" }).selectOption("");
  await expect(bob.getByRole("alert").filter({ hasText: "You were removed from this map." })).toBeVisible();
  await expect(bob.getByRole("status")).toHaveText(/Disconnected: You were removed from this map/);
  await expect(bob.getByRole("link", { name: "Your maps" })).toBeVisible();
  await expect(bob.getByRole("button", { name: "Add stage" })).toBeHidden();
  // It does not try to reconnect.
  await bob.waitForTimeout(2_000);
  await expect(bob.getByRole("status")).toHaveText(/Disconnected/);
  await bob.context().close();
});

test("an editor made a viewer keeps following the map but can no longer edit it", async ({ browser, page, pageErrors }) => {
  await createMap(page, "Customer journey", "Demotion");
  const bob = await invitee(browser, page, "Dan Demoted", "editor", pageErrors);

  await page.getByRole("combobox", { name: "Role of Dan Demoted" }).selectOption("viewer");
  await expect(bob.getByRole("alert").filter({ hasText: "you can now view it, but not edit it" })).toBeVisible();
  await expect(bob.getByRole("button", { name: "Add stage" })).toBeHidden();

  // The owner's edits still reach him live.
  const stages = await page.locator(".stage-name").count();
  await page.getByRole("button", { name: "Add stage" }).click();
  await expect(page.locator(".stage-name")).toHaveCount(stages + 1);
  await expect(bob.locator(".stage-name")).toHaveCount(stages + 1);
  await bob.context().close();
});
