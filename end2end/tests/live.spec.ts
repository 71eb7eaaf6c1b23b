import type { Browser } from "@playwright/test";
import {
  createMap,
  editText,
  expect,
  hydrated,
  network,
  saved,
  stageNames,
  test,
  watchErrors,
} from "./helpers";

/** Opens `url` as `who` in a browser context of its own; its page errors go to `errors`. */
async function join(browser: Browser, url: string, who: "admin" | "bob", errors: string[]) {
  const context = await browser.newContext({
    viewport: { width: 1400, height: 900 },
    storageState: `.auth/${who}.json`,
  });
  const page = await context.newPage();
  watchErrors(page, errors);
  const net = await network(page);
  await page.goto(url);
  await hydrated(page);
  await saved(page);
  return Object.assign(page, { net });
}

test("two people edit one map live, and converge after one was offline", async ({ browser, page, pageErrors }) => {
  await createMap(page, "Blank map", "Shared map");
  const url = page.url();
  // The map's creator leaves, so only the two people below are on it.
  await page.goto("about:blank");
  const alice = await join(browser, url, "admin", pageErrors);
  const bob = await join(browser, url, "bob", pageErrors);

  // Presence: each sees the other.
  await expect(alice.getByRole("group", { name: "People on this map" }).getByLabel("Bob Brown")).toBeVisible();
  await expect(bob.getByRole("group", { name: "People on this map" }).getByLabel("Ada Admin")).toBeVisible();

  // An edit by one appears for the other.
  await editText(alice, "Stage 1", "Stage name", "Discover");
  await expect(bob.locator(".stage-name", { hasText: "Discover" })).toBeVisible();

  // Bob's card editing shows as an outline with his name for Alice.
  await bob.getByRole("button", { name: "Add card to Discover · Customer actions" }).click();
  await bob.getByRole("textbox", { name: "New card text" }).fill("Searches online");
  await bob.getByRole("textbox", { name: "New card text" }).press("Enter");
  await bob.getByRole("textbox", { name: "New card text" }).press("Escape");
  await expect(alice.getByText("Searches online")).toBeVisible();
  await bob.getByRole("button", { name: "Searches online" }).click();
  await expect(alice.getByText("Bob Brown is editing")).toBeVisible();
  await bob.getByRole("textbox", { name: "Card text" }).press("Escape");
  await expect(alice.getByText("Bob Brown is editing")).toBeHidden();

  // Bob goes offline and keeps editing; Alice edits meanwhile.
  await bob.net.offline();
  await expect(bob.getByRole("status")).toContainText("Offline");
  await editText(bob, "Stage 2", "Stage name", "Decide");
  await editText(alice, "Stage 3", "Stage name", "Buy");
  await expect(bob.locator(".stage-name", { hasText: "Buy" })).toHaveCount(0);

  // Back online, both converge on both edits.
  await bob.net.online();
  await saved(bob);
  await expect(bob.locator(".stage-name", { hasText: "Buy" })).toBeVisible();
  await expect(alice.locator(".stage-name", { hasText: "Decide" })).toBeVisible();
  expect(await stageNames(alice)).toEqual(["Discover", "Decide", "Buy"]);
  expect(await stageNames(bob)).toEqual(["Discover", "Decide", "Buy"]);

  // When Bob leaves, Alice stops seeing him.
  await bob.context().close();
  await expect(alice.getByRole("group", { name: "People on this map" }).getByLabel("Bob Brown")).toHaveCount(0);
  await alice.context().close();
});

test("comments are threaded, live, resolved and reopened", async ({ browser, page, pageErrors }) => {
  await createMap(page, "Customer journey", "Discussed map");
  const url = page.url();
  const alice = await join(browser, url, "admin", pageErrors);
  const bob = await join(browser, url, "bob", pageErrors);

  const checkout = (page: typeof alice) =>
    page.locator(".card").filter({ has: page.getByRole("button", { name: "Checkout", exact: true }) });
  const card = checkout(alice);
  await card.hover();
  await card.getByRole("button", { name: "Comments" }).click();
  await alice.getByRole("textbox", { name: "New comment" }).fill("Is guest checkout planned?");
  await alice.getByRole("textbox", { name: "New comment" }).press("Enter");

  // Bob sees the count on the card and the thread in the list of open threads.
  await expect(checkout(bob).getByRole("button", { name: "Comments (1 open)" })).toBeVisible();
  await bob.getByRole("group", { name: "Panels" }).getByRole("button", { name: /^Comments/ }).click();
  await expect(bob.getByText("Is guest checkout planned?")).toBeVisible();
  await bob.getByRole("textbox", { name: "Reply" }).fill("Yes, in Q3.");
  await bob.getByRole("textbox", { name: "Reply" }).press("Enter");
  await expect(alice.getByText("Yes, in Q3.")).toBeVisible();

  await alice.getByRole("button", { name: "Resolve" }).click();
  await expect(bob.getByText("No open threads")).toBeVisible();
  await expect(alice.locator(".thread.resolved")).toBeVisible();
  await alice.getByRole("button", { name: "Reopen" }).click();
  await expect(bob.getByText("Is guest checkout planned?")).toBeVisible();

  await bob.reload();
  await hydrated(bob);
  await expect(checkout(bob).getByRole("button", { name: "Comments (1 open)" })).toBeVisible();
  await alice.context().close();
  await bob.context().close();
});

test("history lists changes, names versions and restores a past one", async ({ page }) => {
  await createMap(page, "Blank map", "Versioned map");
  await editText(page, "Stage 1", "Stage name", "Before workshop");
  await saved(page);
  await page.getByRole("button", { name: "History" }).click();
  await page.getByRole("textbox", { name: "Name for the current version" }).fill("Before the Q3 workshop");
  await page.getByRole("button", { name: "Save name" }).click();
  await expect(page.getByRole("button", { name: "Before the Q3 workshop" })).toBeVisible();

  await editText(page, "Before workshop", "Stage name", "After workshop");
  await page.getByRole("button", { name: "Delete stage Stage 2" }).click();
  await saved(page);
  const changes = page.locator(".changes").first();
  await expect(changes).toContainText("Removed a stage");
  await expect(changes).toContainText("Renamed a stage to “After workshop”");

  await page.getByRole("button", { name: "Before the Q3 workshop" }).click();
  const preview = page.getByRole("dialog");
  await expect(preview.locator(".stage-name")).toHaveText(["Before workshop", "Stage 2", "Stage 3"]);
  await preview.getByRole("button", { name: "Restore this version" }).click();
  expect(await stageNames(page)).toEqual(["Before workshop", "Stage 2", "Stage 3"]);

  // The restore is one undoable step.
  await page.keyboard.press("Control+z");
  expect(await stageNames(page)).toEqual(["After workshop", "Stage 3"]);
  await page.keyboard.press("Control+Shift+z");
  expect(await stageNames(page)).toEqual(["Before workshop", "Stage 2", "Stage 3"]);
  await saved(page);

  // It is saved as new changes, and the history before it stays.
  await page.reload();
  expect(await stageNames(page)).toEqual(["Before workshop", "Stage 2", "Stage 3"]);
  await page.getByRole("button", { name: "History" }).click();
  await expect(page.locator(".changes").first()).toContainText("Renamed a stage to “After workshop”");
  await expect(page.locator(".changes").first()).toContainText("Added stage “Stage 2”");
});
